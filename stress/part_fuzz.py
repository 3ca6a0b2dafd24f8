"""Fuzzing: katad in static-token mode ([auth] token in config.toml) on its Unix socket and a
loopback TCP port. (1) Hand-written hostile inputs over raw sockets: truncated and oversized bodies,
non-UTF-8, deeply nested JSON, huge headers, thousands of query parameters, path traversal in every
path parameter of api/openapi.json. (2) schemathesis (`st run`) over every route with the checks
not_a_server_error and response_schema_conformance. Zero 5xx; the daemon keeps answering."""
import json
import os
import re
import select
import shutil
import socket
import subprocess
import time
import urllib.parse

from lib import REPO, Daemon, Part, log, rand_token

ST = os.environ.get("KATA_STRESS_ST", "")   # the schemathesis CLI, set by stress/run


def spec_path():
    for name in ("openapi.yaml", "openapi.json"):
        p = os.path.join(REPO, "api", name)
        if os.path.exists(p):
            return p
    raise RuntimeError("no api/openapi.yaml or api/openapi.json")


def raw(port, data, timeout=10, shut_wr=False, chunks=None):
    """Sends bytes over a fresh TCP connection, stopping early when the server answers or closes;
    returns (status or 'closed'/'timeout'/'reset'/'stalled', head text). 'stalled' = the server stopped
    reading the request and said nothing for `timeout` seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        payload = [data] + list(chunks or [])
        view = memoryview(b"".join(payload))
        sent, answered = 0, False
        deadline = time.time() + timeout
        s.setblocking(False)
        while sent < len(view):
            r, w, _ = select.select([s], [s], [], max(0.0, deadline - time.time()))
            if r:
                answered = True
                break
            if not w:
                s.setblocking(True)
                return "stalled", "sent %d of %d bytes" % (sent, len(view))
            try:
                sent += s.send(view[sent:sent + 262144])
                deadline = time.time() + timeout
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                answered = True
                break
        s.setblocking(True)
        s.settimeout(timeout)
        if shut_wr and not answered:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        buf = b""
        try:
            while b"\r\n\r\n" not in buf and len(buf) < 65536:
                got = s.recv(65536)
                if not got:
                    break
                buf += got
            m = re.search(rb"content-length:\s*(\d+)", buf, re.I)
            if m and b"\r\n\r\n" in buf:
                want = buf.index(b"\r\n\r\n") + 4 + min(int(m.group(1)), 65536)
                while len(buf) < want:
                    got = s.recv(65536)
                    if not got:
                        break
                    buf += got
        except socket.timeout:
            if not buf:
                return "timeout", ""
        except ConnectionResetError:
            if not buf:
                return "reset", ""
        if not buf:
            return "closed", ""
        m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
        return (int(m.group(1)) if m else "garbage"), buf[:600].decode("utf-8", "replace")
    finally:
        s.close()


def req(method, path, token, body=b"", headers=None, ctype="application/json", extra=b""):
    h = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
    if token:
        h.append("Authorization: Bearer " + token)
    if ctype:
        h.append("Content-Type: " + ctype)
    if body is not None and method in ("POST", "PATCH", "PUT", "DELETE"):
        h.append("Content-Length: %d" % len(body))
    for k, v in (headers or {}).items():
        h.append("%s: %s" % (k, v))
    head = ("\r\n".join(h) + "\r\n").encode("latin-1", "replace") + extra + b"\r\n"
    return head + (body or b"")


TRAVERSAL = ["..", "../..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5c..%5cwindows",
             "%252e%252e%252f", "....//....//etc", "%00", "a%00b", "%2F", "%2Fetc%2Fpasswd", ".", "%2e",
             "..%00", "%c0%ae%c0%ae%2f", "%ff%fe", "0", "-1", "99999999999999999999999999", "1e9", "%20",
             "%23", "%23999999", "x" * 5000, "%E2%80%AE", "%F0%9F%92%A9", "..;", ";", "%0d%0aX-Injected:%201",
             "..%2F..%2F..%2F..%2Frun%2Fkatad.sock", "admin%2Fv1%2Fusers"]


def hostile_inputs(port, token, pid, quick):
    """Yields (category, description, raw request bytes, options, acceptable statuses)."""
    ok4 = lambda s: isinstance(s, int) and 400 <= s < 500  # noqa: E731
    any_non5 = lambda s: s in ("closed", "reset") or (isinstance(s, int) and s < 500)  # noqa: E731
    create = "/api/v1/projects/%d/issues" % pid
    good = json.dumps({"title": "t", "force_new": True}).encode()
    # truncated bodies
    yield "truncated", "Content-Length 100, 10 bytes sent, then FIN", req("POST", create, token, b"")[:-2].replace(b"Content-Length: 0", b"Content-Length: 100") + b"\r\n" + good[:10], {"shut_wr": True}, any_non5
    yield "truncated", "JSON cut in the middle", req("POST", create, token, good[:12]), {}, ok4
    yield "truncated", "empty body on a create", req("POST", create, token, b""), {}, ok4
    yield "truncated", "chunked body with a cut chunk then FIN", (
        "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{\"title\":" % (create, token)).encode(), {"shut_wr": True}, any_non5
    yield "truncated", "invalid chunk size", ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" % (create, token)).encode(), {}, any_non5
    yield "truncated", "Content-Length and Transfer-Encoding together", ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (create, token)).encode(), {}, any_non5
    # oversized bodies
    for mib in (2, 20):
        big = json.dumps({"title": "big", "body": "x" * (mib << 20), "force_new": True}).encode()
        yield "oversized", "%d MiB create body" % mib, req("POST", create, token, big), {"timeout": 30}, ok4
    yield "oversized", "Content-Length: 10^12 declared, 1 KiB sent", req("POST", create, token, b"")[:-2].replace(b"Content-Length: 0", b"Content-Length: 1000000000000") + b"\r\n" + b"x" * 1024, {"shut_wr": True}, any_non5
    yield "oversized", "50 MiB chunked body", ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" % (create, token)).encode(), {"chunks": [b"100000\r\n" + b"x" * 0x100000 + b"\r\n"] * 50 + [b"0\r\n\r\n"], "timeout": 30}, ok4
    yield "oversized", "10 MiB title", req("POST", create, token, json.dumps({"title": "t" * (10 << 20)}).encode()), {"timeout": 30}, ok4
    yield "oversized", "comment body 5 MiB", req("POST", create + "/1/comments", token, json.dumps({"body": "c" * (5 << 20)}).encode()), {"timeout": 30}, ok4
    imp = 4 if quick else 30
    yield "oversized", "import: one %d MiB line of garbage" % imp, req("POST", "/api/v1/import", token, b"{" * (imp << 20), ctype="application/x-ndjson"), {"timeout": 120}, ok4
    # non-UTF-8
    for desc, body in [("\\xff\\xfe in a JSON string", b'{"title":"\xff\xfe","force_new":true}'),
                       ("lone surrogate escape", b'{"title":"\\ud800","force_new":true}'),
                       ("overlong UTF-8", b'{"title":"\xc0\xaf","force_new":true}'),
                       ("UTF-16 body", '{"title":"x"}'.encode("utf-16")),
                       ("NUL bytes", b'{"title":"a\x00b","force_new":true}'),
                       ("Latin-1 body", '{"title":"caf\xe9"}'.encode("latin-1"))]:
        yield "non-utf8", desc, req("POST", create, token, body), {}, lambda s: s in (201, 400, 409, 415, 422)
    yield "non-utf8", "\\xff in the path", b"GET /api/v1/projects/\xff HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n\r\n", {}, any_non5
    yield "non-utf8", "\\xff in the query", b"GET /api/v1/issues?status=\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n\r\n", {}, any_non5
    yield "non-utf8", "\\xff in a header value (actor)", req("GET", "/api/v1/ping", token, extra=b"X-Kata-Actor: \xff\xfe\r\nIdempotency-Key: \xc3\x28\r\n"), {}, any_non5
    yield "non-utf8", "\\xff in the bearer token", b"GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xfd\r\nConnection: close\r\n\r\n", {}, ok4
    # deeply nested JSON
    for depth in (1000, 100000, 1000000):
        yield "nested", "%d nested arrays" % depth, req("POST", create, token, b"[" * depth + b"]" * depth), {"timeout": 30}, ok4
        yield "nested", "%d nested objects in labels" % depth, req("POST", create, token, b'{"title":"n","labels":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"), {"timeout": 30}, ok4
    yield "nested", "100000 unclosed [", req("POST", create, token, b"[" * 100000), {"timeout": 30}, ok4
    yield "nested", "100000 labels", req("POST", create, token, json.dumps({"title": "many", "labels": ["l%d" % i for i in range(100000)], "force_new": True}).encode()), {"timeout": 30}, lambda s: s in (201, 400, 413, 422)
    yield "nested", "JSON with 10^5 duplicate keys", req("POST", create, token, b"{" + b'"title":"d",' * 100000 + b'"force_new":true}'), {"timeout": 30}, lambda s: s in (201, 400, 413)
    yield "nested", "number 1e999999", req("POST", "/api/v1/projects/%d/issues/1/assign" % pid, token, b'{"owner":1e999999}'), {}, ok4
    # huge headers
    yield "headers", "one 1 MiB header", req("GET", "/api/v1/ping", token, headers={"X-Big": "a" * (1 << 20)}), {"timeout": 30}, any_non5
    yield "headers", "one 64 KiB header", req("GET", "/api/v1/ping", token, headers={"X-Big": "a" * (64 << 10)}), {}, any_non5
    yield "headers", "10000 headers", req("GET", "/api/v1/ping", token, extra=b"".join(b"X-H%d: v\r\n" % i for i in range(10000))), {"timeout": 30}, any_non5
    yield "headers", "1 MiB Authorization", req("GET", "/api/v1/projects", None, headers={"Authorization": "Bearer " + "t" * (1 << 20)}), {"timeout": 30}, any_non5
    yield "headers", "1000 Authorization headers", req("GET", "/api/v1/projects", None, extra=b"".join(b"Authorization: Bearer x%d\r\n" % i for i in range(1000))), {}, any_non5
    yield "headers", "huge Last-Event-ID", req("GET", "/api/v1/events/stream", token, headers={"Accept": "text/event-stream", "Last-Event-ID": "9" * 10000}), {}, ok4
    yield "headers", "negative Last-Event-ID", req("GET", "/api/v1/events/stream", token, headers={"Accept": "text/event-stream", "Last-Event-ID": "-5"}), {}, ok4
    yield "headers", "header without colon", req("GET", "/api/v1/ping", token, extra=b"NoColonHere\r\n"), {}, any_non5
    yield "headers", "bad request line", b"GARBAGE\r\n\r\n", {}, any_non5
    yield "headers", "HTTP/0.9 request", b"GET /api/v1/ping\r\n\r\n", {}, any_non5
    yield "headers", "10 MiB request line", b"GET /" + b"a" * (10 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n", {"timeout": 30}, any_non5
    yield "headers", "Content-Type with 10000 parameters", req("POST", create, token, good, ctype="application/json" + "; a=b" * 10000), {}, any_non5
    # query parameters
    for n in (1000, 10000, 50000):
        q = "&".join("status=open" if i % 2 else "label=l%d" % i for i in range(n))
        yield "query", "%d query parameters on /issues" % n, req("GET", "/api/v1/issues?" + q, token), {"timeout": 30}, any_non5
    yield "query", "5000 after_id parameters on /events", req("GET", "/api/v1/events?" + "&".join("after_id=%d" % i for i in range(5000)), token), {}, any_non5
    yield "query", "limit=10^30", req("GET", "/api/v1/events?limit=1000000000000000000000000000000", token), {}, ok4
    yield "query", "limit=-1", req("GET", "/api/v1/projects/%d/issues?limit=-1" % pid, token), {}, ok4
    yield "query", "after_id=-1", req("GET", "/api/v1/events?after_id=-1", token), {}, ok4
    yield "query", "search q of 1 MiB", req("GET", "/api/v1/search?q=" + "a" * (1 << 20), token), {"timeout": 30}, any_non5
    yield "query", "search q with FTS5 syntax", req("GET", "/api/v1/search?q=" + urllib.parse.quote('"a" NEAR( OR * ^ -x:y'), token), {}, any_non5
    yield "query", "cursor garbage", req("GET", "/api/v1/issues?cursor=" + urllib.parse.quote("!!!===\x00"), token), {}, ok4
    yield "query", "broken percent-encoding", req("GET", "/api/v1/issues?status=%zz%", token), {}, any_non5
    # path traversal in every path parameter of the document
    spec = json.load(open(os.path.join(REPO, "api", "openapi.json")))
    for path, ops in spec["paths"].items():
        params = re.findall(r"\{(\w+)\}", path)
        for prm in params:
            for m in (x.upper() for x in ops if x in ("get", "post", "patch", "delete")):
                for t in TRAVERSAL:
                    p = path
                    for other in params:
                        p = p.replace("{%s}" % other, t if other == prm else ("%d" % pid if other == "id" else "1"))
                    body = b"{}" if m in ("POST", "PATCH") else None
                    yield "traversal", "%s %s" % (m, p[:120]), req(m, p, token, body or b""), {}, any_non5
    yield "traversal", "raw ../ outside the API", req("GET", "/api/v1/../../../../etc/passwd", token), {}, any_non5
    yield "traversal", "absolute URI request target", req("GET", "http://127.0.0.1/../../etc/passwd", token), {}, any_non5
    yield "traversal", "admin route on the API listener", req("GET", "/admin/v1/users", token), {}, ok4


def ping(d):
    try:
        st, _ = d.request("GET", "/api/v1/ping", timeout=10)
        return st == 200
    except Exception:
        return False


def run_schemathesis(p, d, quick, results_dir, pid):
    if not ST or not os.path.exists(ST):
        p.check(False, "schemathesis installed", "KATA_STRESS_ST not set; stress/run installs it")
        return
    out_dir = os.path.join(results_dir, "schemathesis")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)
    # Pass "free": every parameter generated. Pass "pinned": path ids pinned to the seeded project and
    # issue so the handlers behind them (not only their 404s) get the generated bodies and queries.
    pinned = os.path.join(out_dir, "pinned.toml")
    with open(pinned, "w") as f:
        f.write('[parameters]\n"path.id" = %d\n"path.ref" = "1"\n' % pid)
    total_cases, server_err, schema_err, exits = 0, 0, 0, []
    for name, cfg in (("free", None), ("pinned", pinned)):
        # Bad credentials that schemathesis generates get the peer (127.0.0.1) throttled (auth.md:
        # 429 too_many_attempts for every request with credentials): start each pass on a fresh
        # daemon (same home), and keep the login route out of the pinned pass.
        d.stop()
        d.start()
        extra = ["--exclude-path", "/api/v1/auth/login"] if cfg else []
        args = [ST] + (["--config-file", cfg] if cfg else []) + [
            "run", spec_path(), "--url", "http://127.0.0.1:%d" % d.port,
            "-H", "Authorization: Bearer %s" % d.token,
            "--checks", "not_a_server_error,response_schema_conformance",
            "--max-examples", "10" if quick else "100", "--seed", "1", "--workers", "2",
            "--phases", "examples,coverage,fuzzing" + ("" if quick else ",stateful"),
            "--max-time", "30" if quick else "200", "--request-timeout", "20",
            "--suppress-health-check", "all", "--no-color",
            "--report", "junit,ndjson", "--report-dir", os.path.join(out_dir, name),
            # the stream never ends by itself: it is exercised by the crash and hostile parts
            "--exclude-path", "/api/v1/events/stream"] + extra
        log("schemathesis %s: %s" % (name, " ".join(a if "Bearer" not in a else "Authorization: Bearer ***" for a in args)))
        t0 = time.time()
        r = subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=out_dir)
        took = time.time() - t0
        out = r.stdout + r.stderr
        outfile = os.path.join(out_dir, "st-%s.txt" % name)
        with open(outfile, "w") as f:
            f.write(out.replace(d.token, "***"))
        print("\n".join("     " + x for x in out.replace(d.token, "***").strip().splitlines()[-14:]), flush=True)
        m = re.search(r"(\d+) generated", out)
        cases = int(m.group(1)) if m else 0
        tested = re.search(r"Tested:\s*(\d+)", out)
        total_cases += cases
        se = len(re.findall(r"Server error", out))
        sv = len(re.findall(r"Response violates schema", out))
        m429 = re.search(r"Rate limited: (\d+) operations", out)
        if m429:
            log("schemathesis %s: %s operations mostly got 429 (throttled peer)" % (name, m429.group(1)))
        server_err += se
        schema_err += sv
        exits.append(r.returncode)
        p.try_("schemathesis %s: %d cases over %s operations" % (name, cases, tested.group(1) if tested else "?"))
        p.figures["schemathesis_" + name] = {"cases": cases, "seconds": round(took, 1), "exit": r.returncode,
                                             "server_errors": se, "schema_violations": sv, "output": outfile,
                                             "throttled_operations": int(m429.group(1)) if m429 else 0}
    p.check(server_err == 0, "schemathesis: zero 5xx", "%d 'Server error' failures (see %s)" % (server_err, out_dir))
    p.check(schema_err == 0, "schemathesis: every response matches its schema", "%d 'Response violates schema' failures (see %s)" % (schema_err, out_dir))
    p.check(all(e == 0 for e in exits), "schemathesis runs passed (exit 0)", "exits %s: see %s/st-*.txt" % (exits, out_dir))


def run(quick):
    p = Part("fuzz")
    token = rand_token(48)
    d = Daemon("fuzz", token=token, tcp=True)
    d.start()
    results_dir = os.environ.get("KATA_STRESS_RESULTS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    try:
        pid = d.make_project("fuzz")
        for i in range(3):
            d.request("POST", "/api/v1/projects/%d/issues" % pid, {"title": "seed %d" % i, "force_new": True})
        d.request("POST", "/api/v1/projects/%d/issues/1/comments" % pid, {"body": "seed"})
        counts, bad, dead, slow = {}, [], [], []
        statuses = {}
        rss0 = d.rss_kib()
        for cat, desc, data, opt, acceptable in hostile_inputs(d.port, token, pid, quick):
            counts[cat] = counts.get(cat, 0) + 1
            t0 = time.time()
            try:
                st, head = raw(d.port, data, timeout=opt.get("timeout", 10), shut_wr=opt.get("shut_wr", False),
                               chunks=opt.get("chunks"))
            except Exception as e:
                st, head = "error:" + type(e).__name__, ""
            took = time.time() - t0
            statuses[str(st)] = statuses.get(str(st), 0) + 1
            if took > 5:
                slow.append((cat, desc, str(st), round(took, 1)))
                log("slow: [%s] %s -> %s after %.1f s" % (cat, desc, st, took))
            if not acceptable(st):
                bad.append((cat, desc, st, head.split("\r\n\r\n", 1)[-1][:200]))
                log("unexpected: [%s] %s -> %s %s" % (cat, desc, st, head.split("\r\n\r\n", 1)[-1][:160].replace("\n", " ")))
            if not ping(d):
                dead.append((cat, desc))
                log("daemon stopped answering after [%s] %s; restarting" % (cat, desc))
                if not d.alive():
                    log("katad exited: " + d.tail_log(800))
                d.kill9()
                d.start()
        total = sum(counts.values())
        p.try_("%d hostile inputs (%s)" % (total, ", ".join("%s %d" % kv for kv in counts.items())))
        p.figures.update(hostile_inputs=total, hostile_by_category=counts, hostile_statuses=statuses,
                         rss_kib_before=rss0, rss_kib_after=d.rss_kib())
        log("hostile inputs: %d, answers %s" % (total, statuses))
        five = [b for b in bad if isinstance(b[2], int) and b[2] >= 500]
        p.check(not five, "hostile inputs: no 5xx", "%d: %s" % (len(five), five[:4]))
        other = [b for b in bad if not (isinstance(b[2], int) and b[2] >= 500)]
        p.figures["hostile_unexpected"] = [list(map(str, b)) for b in bad]
        p.check(not other, "hostile inputs: each got the answer expected (4xx where the spec says so)",
                "%d: %s" % (len(other), [(b[0], b[1][:60], b[2]) for b in other[:6]]))
        p.check(not dead, "daemon kept answering after every hostile input", str(dead[:5]))
        p.figures["hostile_slow"] = slow
        p.check(not slow, "hostile inputs: each answered within 5 s", str(slow[:4]))
        run_schemathesis(p, d, quick, results_dir, pid)
        p.check(ping(d), "daemon answers after the fuzzing")
        leaked = token in d.tail_log(10 ** 9)
        p.check(not leaked, "the token never appears in katad's output")
    finally:
        d.cleanup(keep=bool(p.broke))
    return p
