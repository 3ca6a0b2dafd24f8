"""Hostile clients on katad's loopback TCP listener: slowloris connections sending a header a byte
at a time, SSE clients that never read while a writer produces events, and silent or half-closed
connections with a partial request. Meanwhile a normal client must keep getting answers (p99 latency
reported); katad's RSS and open descriptors are sampled before, during and after. The part also
records whether, and when, the daemon closes each kind of connection (idle and header timeouts)."""
import os
import select
import socket
import threading
import time

from lib import Daemon, Part, log, percentile


def connect(port, rcvbuf=None):
    for _ in range(50):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    raise RuntimeError("could not connect")


class Group:
    """A set of attacking connections; notes when the server closes each one."""

    def __init__(self, name):
        self.name = name
        self.socks = []
        self.opened = {}
        self.closed_at = {}   # fileno -> seconds after open when the server closed it
        self.answered = {}    # fileno -> first bytes of an answer the server sent

    def add(self, s):
        self.socks.append(s)
        self.opened[s.fileno()] = time.time()

    def poll_closed(self, drain=False):
        """Detects server-side closes (EOF/RST). Never reads data unless drain (SSE groups don't drain)."""
        live = [s for s in self.socks if s.fileno() not in self.closed_at and s.fileno() != -1]
        if not live:
            return
        try:
            r, _, _ = select.select(live, [], [], 0)
        except ValueError:
            return
        for s in r:
            try:
                data = s.recv(65536, socket.MSG_PEEK) if not drain else s.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.closed_at[s.fileno()] = time.time() - self.opened[s.fileno()]
            elif drain and s.fileno() not in self.answered:
                # the server answered (e.g. an error for a half-closed request) before closing
                self.answered[s.fileno()] = data[:12].decode("latin-1")

    def close_all(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


def run(quick):
    p = Part("hostile")
    n_slow, n_sse, n_half = 500, 200, 200
    hold = 20 if quick else 135
    d = Daemon("hostile", tcp=True)
    d.start()
    port = d.port
    stop = threading.Event()
    lat, fails = [], []
    rss, fds = [], []
    phase = {"name": "baseline"}
    lat_by_phase = {}
    try:
        pid = d.make_project("hostile")

        def normal_client():
            while not stop.is_set():
                t0 = time.time()
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=10)
                    s.sendall(b"GET /api/v1/projects/%d/issues?limit=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % pid)
                    buf = b""
                    while True:
                        got = s.recv(65536)
                        if not got:
                            break
                        buf += got
                    s.close()
                    if not buf.startswith(b"HTTP/1.1 200"):
                        fails.append((phase["name"], buf[:80]))
                    else:
                        ms = (time.time() - t0) * 1000
                        lat.append(ms)
                        lat_by_phase.setdefault(phase["name"], []).append(ms)
                except Exception as e:
                    fails.append((phase["name"], repr(e)))
                time.sleep(0.05)

        writes = [0]

        def writer():
            while not stop.is_set():
                try:
                    st, b = d.request("POST", "/api/v1/projects/%d/issues" % pid,
                                      {"title": "hostile %d " % writes[0] + "t" * 400, "force_new": True}, timeout=10)
                    if st == 201:
                        writes[0] += 1
                except Exception:
                    pass
                time.sleep(0.01)

        def sampler():
            while not stop.is_set():
                r = d.rss_kib()
                if r:
                    rss.append((time.time(), phase["name"], r))
                    fds.append((phase["name"], d.fd_count() or 0))
                time.sleep(0.5)

        ths = [threading.Thread(target=f, daemon=True) for f in (normal_client, sampler)]
        for t in ths:
            t.start()
        time.sleep(3)
        rss_before = d.rss_kib()
        fd_before = d.fd_count()

        phase["name"] = "attack"
        slow, sse, half = Group("slowloris"), Group("sse-never-read"), Group("half-open")
        for i in range(n_slow):
            s = connect(port)
            s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            slow.add(s)
        req = b"GET /api/v1/events/stream?after_id=0 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
        for i in range(n_sse):
            s = connect(port, rcvbuf=4096)
            s.sendall(req)
            sse.add(s)
        for i in range(n_half):
            s = connect(port)
            s.sendall(b"POST /api/v1/projects/%d/issues HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\":" % pid)
            if i % 2:
                s.shutdown(socket.SHUT_WR)   # half-closed: FIN sent, still reading
            half.add(s)
        log("opened %d slowloris, %d SSE that never read, %d silent/half-closed connections" % (n_slow, n_sse, n_half))
        wt = threading.Thread(target=writer, daemon=True)
        wt.start()

        t_end = time.time() + hold
        k = 0
        trickle_bytes = 0
        while time.time() < t_end:
            # one byte to each slowloris connection per second, never finishing the header
            for s in slow.socks:
                if s.fileno() in slow.closed_at:
                    continue
                try:
                    s.send(b"X-a: b\r\n"[k % 8:k % 8 + 1])
                    trickle_bytes += 1
                except BlockingIOError:
                    pass
                except OSError:
                    slow.closed_at[s.fileno()] = time.time() - slow.opened[s.fileno()]
            k += 1
            slow.poll_closed(drain=True)
            half.poll_closed(drain=True)
            sse.poll_closed()
            time.sleep(1)
        rss_during_peak = max(r for _, ph, r in rss if ph == "attack")
        fd_peak = max(f for ph, f in fds if ph == "attack")
        phase["name"] = "after"
        stop_writer_at = time.time()
        slow.poll_closed(drain=True)
        half.poll_closed(drain=True)
        sse.poll_closed()
        answered = {g.name: sorted(set(g.answered.values())) for g in (slow, half)}
        answered_n = {g.name: len(g.answered) for g in (slow, half)}
        p.figures["answered_before_close"] = {k2: {"count": answered_n[k2], "status_lines": v} for k2, v in answered.items()}
        log("answered before closing: %s" % {k2: (answered_n[k2], v) for k2, v in answered.items()})
        closed = {g.name: sorted(g.closed_at.values()) for g in (slow, sse, half)}
        for g in (slow, sse, half):
            g.close_all()
        time.sleep(5)
        rss_after = d.rss_kib()
        fd_after = d.fd_count()
        stop.set()
        for t in ths:
            t.join(15)
        wt.join(15)

        att = lat_by_phase.get("attack", [])
        base = lat_by_phase.get("baseline", [])
        p.try_("%d slowloris (%d bytes trickled)" % (n_slow, trickle_bytes))
        p.try_("%d SSE never reading" % n_sse)
        p.try_("%d silent/half-closed" % n_half)
        p.try_("%d writes, %d normal requests over %ds" % (writes[0], len(lat) + len(fails), hold))
        p.figures.update(
            slowloris=n_slow, sse_never_read=n_sse, half_open=n_half, hold_seconds=hold, events_written=writes[0],
            normal_requests=len(lat) + len(fails), normal_failures=len(fails),
            p50_ms_baseline=round(percentile(base, 50) or 0, 1), p99_ms_baseline=round(percentile(base, 99) or 0, 1),
            p50_ms_attack=round(percentile(att, 50) or 0, 1), p99_ms_attack=round(percentile(att, 99) or 0, 1),
            max_ms_attack=round(max(att) if att else 0, 1),
            rss_kib_before=rss_before, rss_kib_peak=rss_during_peak, rss_kib_after=rss_after,
            fds_before=fd_before, fds_peak=fd_peak, fds_after=fd_after,
            closed_by_server={k2: {"count": len(v), "first_s": round(v[0], 1) if v else None,
                                   "last_s": round(v[-1], 1) if v else None} for k2, v in closed.items()})
        rss_series = [r for _, ph, r in rss if ph == "attack"]
        p.figures["rss_kib_attack_series_every_5s"] = rss_series[::10]
        log("normal client: %d ok, %d failed; p50/p99 baseline %.1f/%.1f ms, under attack %.1f/%.1f ms (max %.1f)" % (
            len(lat), len(fails), percentile(base, 50) or 0, percentile(base, 99) or 0,
            percentile(att, 50) or 0, percentile(att, 99) or 0, max(att) if att else 0))
        log("katad RSS before %d KiB, peak %d KiB, after %d KiB; fds %s/%s/%s" % (
            rss_before, rss_during_peak, rss_after, fd_before, fd_peak, fd_after))
        for g, v in closed.items():
            log("%s: %d closed by the server within %ds%s" % (
                g, len(v), hold, "" if not v else " (first after %.1f s, last after %.1f s)" % (v[0], v[-1])))
        p.check(not fails, "normal client always answered", "%d failures, e.g. %s" % (len(fails), fails[:3]))
        p.check(att and percentile(att, 99) < 1000, "normal client p99 < 1 s under attack", "p99 %.1f ms" % (percentile(att, 99) or -1))
        p.check(rss_during_peak - rss_before < 256 * 1024, "RSS growth under attack < 256 MiB",
                "grew %d MiB (%d -> %d KiB)" % ((rss_during_peak - rss_before) // 1024, rss_before, rss_during_peak))
        # growth during the last half of the hold: a bounded daemon plateaus
        if len(rss_series) >= 8:
            h = len(rss_series) // 2
            growth = rss_series[-1] - rss_series[h]
            p.figures["rss_kib_growth_second_half"] = growth
            p.check(growth < 32 * 1024, "RSS flat in the second half of the attack (< 32 MiB growth)",
                    "grew %d KiB in the last %ds while SSE clients did not read" % (growth, hold // 2))
        p.check(fd_after is not None and fd_after <= fd_before + 10, "descriptors released after the clients left",
                "%s before, %s after" % (fd_before, fd_after))
        if hold > 125:
            p.check(len(closed["slowloris"]) == n_slow, "slowloris connections closed by a header/idle timeout within %ds" % hold,
                    "%d of %d closed" % (len(closed["slowloris"]), n_slow))
            p.check(len(closed["half-open"]) == n_half, "silent/half-closed connections closed by the idle timeout within %ds" % hold,
                    "%d of %d closed" % (len(closed["half-open"]), n_half))
            p.check(len(closed["sse-never-read"]) == n_sse, "SSE clients that never read are dropped within %ds" % hold,
                    "%d of %d closed" % (len(closed["sse-never-read"]), n_sse))
        else:
            p.try_("timeouts not observable in %ds (idleTimeout 120 s): run full" % hold)
        st, _ = d.request("GET", "/api/v1/ping")
        p.check(st == 200 and d.alive(), "daemon alive and answering afterwards")
    finally:
        stop.set()
        d.cleanup(keep=bool(p.broke))
    return p
