"""Secret hygiene under load (a stress variant of the lead's CI test): katad with a bootstrap token at
KATA_LOG_LEVEL=trace; mint DB-backed tokens, create users with passwords, log in and out, send many
requests with wrong and near-miss tokens and passwords; then look for every secret, in clear, in
katad's output and log files, the database files (db, WAL), error bodies, /health, `kata-admin config
show` and `kata-admin status`; and check the modes of run/, the sockets and the database."""
import os
import stat
import subprocess

from lib import BIN_DIR, Daemon, Part, log, rand_token


def run(quick):
    p = Part("secrets")
    token = rand_token(48)
    d = Daemon("secrets", token=token, tcp=True, extra_env={"KATA_LOG_LEVEL": "trace"})
    d.start()
    secrets = {"bootstrap token": token}
    bodies = []
    try:
        pid = d.make_project("sec")
        n = 20 if quick else 100
        minted = 0
        for i in range(n):
            st, b = d.request("POST", "/api/v1/tokens", {"actor": "bot%d" % i, "name": "t%d" % i, "role": "user"})
            if st == 201:
                minted += 1
                sec = b.get("secret")
                if isinstance(sec, str):
                    secrets["minted token %d" % i] = sec
                    st2, b2 = d.request("POST", "/api/v1/projects/%d/issues" % pid, {"title": "by token %d" % i, "force_new": True},
                                        headers={"Authorization": "Bearer " + sec})
                    bodies.append(str(b2))
        users = 0
        for i in range(max(3, n // 10)):
            pw = "pw-" + rand_token(20)
            st, b = d.request("POST", "/api/v1/users", {"name": "user%d" % i, "password": pw, "role": "user"})
            if st == 201:
                users += 1
                secrets["password %d" % i] = pw
                st, b = d.request("POST", "/api/v1/auth/login", {"username": "user%d" % i, "password": pw})
                bodies.append(str(b))
                if st == 200 and isinstance(b, dict):
                    stok = b.get("token")
                    if isinstance(stok, str):
                        secrets["session token %d" % i] = stok
                st, b = d.request("POST", "/api/v1/auth/login", {"username": "user%d" % i, "password": pw + "x"})
                bodies.append(str(b))
        wrong = 0
        for i in range(n * 5):
            bad = token[:-1] + ("0" if token[-1] != "0" else "1") if i % 2 else "kata_" + rand_token(40)
            secrets.setdefault("wrong token presented", bad)
            st, b = d.request("GET", "/api/v1/projects", headers={"Authorization": "Bearer " + bad})
            bodies.append(str(b))
            wrong += 1
        st, health = d.request("GET", "/api/v1/health")
        bodies.append(str(health))
        env = dict(os.environ, KATA_HOME=d.home, KATA_AUTH_TOKEN=token)
        outs = []
        for args in (["config", "show"], ["status"], ["tokens", "list"]):
            r = subprocess.run([os.path.join(BIN_DIR, "kata-admin")] + args, env=env, capture_output=True, text=True, timeout=30)
            outs.append(r.stdout + r.stderr)
        p.try_("%d tokens minted, %d users, %d wrong tokens, trace logging" % (minted, users, wrong))
        p.figures.update(tokens_minted=minted, users=users, wrong_tokens=wrong, secrets_tracked=len(secrets))
        modes = {}
        for rel, want in (("run", 0o700), ("run/katad.sock", 0o600), ("run/admin.sock", 0o600), ("kata.db", 0o600),
                          ("config.toml", 0o600), ("logs", 0o700)):
            path = os.path.join(d.home, rel)
            if os.path.exists(path):
                modes[rel] = oct(stat.S_IMODE(os.stat(path).st_mode))
        p.figures["modes"] = modes
        bad_modes = {k: v for k, v in modes.items() if int(v, 8) & 0o077}
        p.check(not bad_modes, "run/ 0700, sockets, database, config 0600", str(bad_modes))
        d.stop()

        # where secrets must not appear in clear
        places = {}
        places["katad output"] = open(d.logpath, "rb").read()
        for root, _, files in os.walk(os.path.join(d.home, "logs")):
            for f in files:
                places["logs/" + f] = open(os.path.join(root, f), "rb").read()
        for f in os.listdir(d.home):
            if f.startswith("kata.db"):
                places[f] = open(os.path.join(d.home, f), "rb").read()
        places["API answers (errors, health, login)"] = "\n".join(bodies).encode()
        places["kata-admin config show/status/tokens list"] = "\n".join(outs).encode()
        leaks = []
        for what, sec in secrets.items():
            if what.startswith("session token"):
                pass  # the login answer carries it once by design; checked below in logs and db only
            for where, blob in places.items():
                if where.startswith("API answers") and (what.startswith("session token") or what.startswith("minted")):
                    continue
                if sec.encode() in blob:
                    leaks.append("%s in %s" % (what, where))
        log("searched %d secrets in %d places (%d KiB)" % (len(secrets), len(places), sum(len(b) for b in places.values()) // 1024))
        p.check(not leaks, "no secret in clear in logs, database, answers, kata-admin output", "; ".join(sorted(set(leaks))[:6]))
    finally:
        d.cleanup(keep=bool(p.broke))
    return p
