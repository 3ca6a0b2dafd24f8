"""Shared helpers for the stress parts: a katad per part in its own temporary KATA_HOME,
HTTP over the Unix socket (or loopback TCP), and result rows.

Standard library only. Network: Unix sockets and 127.0.0.1 ephemeral ports, nothing else.
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN_DIR = os.environ.get("KATA_BIN_DIR", "")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(*a):
    print("  ", *a, flush=True)


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX socket."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Daemon:
    """One katad in a fresh KATA_HOME (mkdtemp, 0700). start/kill9/stop, ping, RSS."""

    def __init__(self, name, token=None, tcp=False, extra_env=None):
        self.name = name
        self.home = tempfile.mkdtemp(prefix="kata-stress-%s-" % name)
        os.chmod(self.home, 0o700)
        self.token = token
        self.port = free_port() if tcp else None
        self.sock = os.path.join(self.home, "run", "katad.sock")
        self.proc = None
        self.starts = 0
        self.extra_env = extra_env or {}
        if token:
            with open(os.path.join(self.home, "config.toml"), "w") as f:
                f.write('[auth]\ntoken = "%s"\n' % token)
            os.chmod(os.path.join(self.home, "config.toml"), 0o600)
        self.logpath = os.path.join(self.home, "katad.stdout.log")

    @property
    def db(self):
        return os.path.join(self.home, "kata.db")

    def start(self, timeout=30):
        env = dict(os.environ)
        env["KATA_HOME"] = self.home
        env.pop("KATA_AUTH_TOKEN", None)
        env.update(self.extra_env)
        args = [os.path.join(BIN_DIR, "katad"), "--listen", "unix://" + self.sock]
        if self.port:
            args += ["--listen", "127.0.0.1:%d" % self.port]
        logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(args, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        logf.close()
        self.starts += 1
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("katad exited with %s; log:\n%s" % (self.proc.returncode, self.tail_log()))
            try:
                st, _ = self.request("GET", "/api/v1/ping", timeout=2)
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("katad did not answer /api/v1/ping in %ss" % timeout)

    def tail_log(self, n=4000):
        try:
            with open(self.logpath, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                return False
        return True

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, AttributeError):
            return None
        return None

    def fd_count(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.proc.pid))
        except OSError:
            return None

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.home, ignore_errors=True)

    def conn(self, timeout=30):
        return UnixHTTPConnection(self.sock, timeout=timeout)

    def headers(self, extra=None):
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if extra:
            h.update(extra)
        return h

    def request(self, method, path, body=None, conn=None, timeout=30, headers=None):
        """One request; returns (status, parsed JSON or raw text). Raises OSError/HTTPException on I/O."""
        own = conn is None
        c = conn or self.conn(timeout)
        try:
            data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            c.request(method, path, body=data, headers=self.headers(headers))
            r = c.getresponse()
            raw = r.read()
            try:
                return r.status, json.loads(raw)
            except ValueError:
                return r.status, raw.decode("utf-8", "replace")
        finally:
            if own:
                c.close()

    def make_project(self, name="stress"):
        st, b = self.request("POST", "/api/v1/projects", {"name": name, "alias_identity": "local:///" + name})
        assert st in (200, 201), (st, b)
        return b["project"]["id"]

    def sqlite(self, sql):
        out = subprocess.run(["sqlite3", self.db, sql], capture_output=True, text=True, timeout=120)
        return out.stdout.strip(), out.stderr.strip()


class Part:
    """What a part tried and what held or broke: becomes one table row and a JSON record."""

    def __init__(self, name):
        self.name = name
        self.tried = []      # short "N things" strings
        self.held = []       # checks that held
        self.broke = []      # checks that broke (each one is a finding)
        self.figures = {}
        self.t0 = time.time()

    def try_(self, s):
        self.tried.append(s)

    def check(self, ok, what, detail=""):
        if ok:
            self.held.append(what)
        else:
            self.broke.append(what + (": " + detail if detail else ""))
        log(("held  " if ok else "BROKE ") + what + ("" if ok or not detail else " -- " + detail))
        return ok

    def record(self):
        return {"part": self.name, "tried": self.tried, "held": self.held, "broke": self.broke,
                "figures": self.figures, "seconds": round(time.time() - self.t0, 1)}


def percentile(xs, p):
    if not xs:
        return None
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def rand_token(n=40):
    return "".join(random.choice("0123456789abcdef") for _ in range(n))
