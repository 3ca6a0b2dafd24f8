"""Concurrency: 32 clients create issues in one project at the same moment (a barrier before each
round). No 5xx, no "locked" in any answer, issue numbers exactly 1..32*K."""
import threading
import time

from lib import Daemon, Part, log, percentile


def run(quick):
    p = Part("concurrency")
    nthreads = 32
    k = 10 if quick else 60
    d = Daemon("concurrency")
    d.start()
    try:
        pid = d.make_project("conc")
        barrier = threading.Barrier(nthreads)
        results = [[] for _ in range(nthreads)]   # (status, number or None, body excerpt, ms)
        io_errors = []

        def worker(t):
            c = d.conn(timeout=60)
            for i in range(k):
                try:
                    barrier.wait(60)
                except threading.BrokenBarrierError:
                    pass
                t0 = time.time()
                try:
                    st, b = d.request("POST", "/api/v1/projects/%d/issues" % pid,
                                      {"title": "conc t%d i%d" % (t, i), "body": "x" * (i * 10), "force_new": True}, conn=c)
                except Exception as e:
                    io_errors.append(repr(e))
                    c.close()
                    c = d.conn(timeout=60)
                    continue
                ms = (time.time() - t0) * 1000
                num = b["issue"]["number"] if st == 201 and isinstance(b, dict) else None
                results[t].append((st, num, str(b)[:300], ms))
            c.close()

        ths = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
        t0 = time.time()
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        elapsed = time.time() - t0
        flat = [r for rs in results for r in rs]
        statuses = {}
        for r in flat:
            statuses[r[0]] = statuses.get(r[0], 0) + 1
        lat = [r[3] for r in flat]
        p.try_("%d clients x %d creates at once" % (nthreads, k))
        p.figures.update(clients=nthreads, per_client=k, requests=len(flat), statuses=statuses, seconds=round(elapsed, 1),
                         creates_per_s=round(len(flat) / elapsed, 1),
                         p50_ms=round(percentile(lat, 50), 1), p99_ms=round(percentile(lat, 99), 1), max_ms=round(max(lat), 1))
        log("statuses %s, %.0f creates/s, p50 %.1f ms, p99 %.1f ms" % (statuses, len(flat) / elapsed, percentile(lat, 50), percentile(lat, 99)))
        p.check(not io_errors, "no connection error", str(io_errors[:3]))
        five = [r for r in flat if r[0] >= 500]
        p.check(not five, "no 5xx", "%d, e.g. %s" % (len(five), five[:2]))
        locked = [r for r in flat if "locked" in r[2].lower() or "busy" in r[2].lower()]
        p.check(not locked, 'no "database is locked"/busy in any answer', str(locked[:2]))
        p.check(statuses.get(201, 0) == nthreads * k, "every create got 201 (%d)" % (nthreads * k), str(statuses))
        nums = sorted(r[1] for r in flat if r[1] is not None)
        p.check(nums == list(range(1, nthreads * k + 1)), "issue numbers exactly 1..%d, unique" % (nthreads * k),
                "dups %s" % sorted({n for n in nums if nums.count(n) > 1})[:5])
        st, b = d.request("GET", "/api/v1/projects/%d" % pid)
        nxt = b.get("project", {}).get("next_issue_number") if isinstance(b, dict) else None
        p.check(nxt == nthreads * k + 1, "project next_issue_number = %d" % (nthreads * k + 1), str(nxt))
        d.stop()
        integ, _ = d.sqlite("PRAGMA integrity_check")
        p.check(integ == "ok", "PRAGMA integrity_check = ok", integ[:200])
        cnt, _ = d.sqlite("SELECT COUNT(*), COUNT(DISTINCT number) FROM issues WHERE project_id=%d" % pid)
        p.check(cnt == "%d|%d" % (nthreads * k, nthreads * k), "database holds %d distinct numbers" % (nthreads * k), cnt)
    finally:
        d.cleanup(keep=bool(p.broke))
    return p
