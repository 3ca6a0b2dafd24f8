"""Crash safety: writers create issues and comment on them while katad is killed with SIGKILL at
random moments and restarted on the same home. Then: every acknowledged write is present, nothing
is half-written, PRAGMA integrity_check is ok, the event log's ids are listed with any gap, and an
SSE client that reconnected across every kill (Last-Event-ID or after_id) got each event exactly once.
"""
import json
import random
import socket
import threading
import time

from lib import Daemon, Part, UnixHTTPConnection, log


class Writer(threading.Thread):
    def __init__(self, d, pid, idx, stop):
        super().__init__(daemon=True)
        self.d, self.pid, self.idx, self.stop = d, pid, idx, stop
        self.issues = []     # acknowledged creates: (uid, number, title, event_id, event_uid)
        self.comments = []   # acknowledged comments: (issue_uid, body, event_id, event_uid, comment_id)
        self.unacked = []    # ("issue", title) or ("comment", body): sent, no answer
        self.errors = []     # unexpected HTTP answers (status, body)
        self.failures = 0    # I/O errors (daemon down)

    def post(self, path, body):
        try:
            return self.d.request("POST", path, body, timeout=10)
        except Exception:
            self.failures += 1
            return None, None

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            title = "crash w%d i%d" % (self.idx, i)
            st, b = self.post("/api/v1/projects/%d/issues" % self.pid, {"title": title, "force_new": True})
            if st is None:
                self.unacked.append(("issue", title))
                time.sleep(0.05)
                continue
            if st != 201:
                self.errors.append((st, str(b)[:300]))
                continue
            iss, ev = b["issue"], b["event"]
            self.issues.append((iss["uid"], iss["number"], title, ev["id"], ev["uid"]))
            for k in range(2):
                body = "comment w%d i%d k%d" % (self.idx, i, k)
                st, b = self.post("/api/v1/projects/%d/issues/%d/comments" % (self.pid, iss["number"]), {"body": body})
                if st is None:
                    self.unacked.append(("comment", body))
                    time.sleep(0.05)
                    break
                if st != 201:
                    self.errors.append((st, str(b)[:300]))
                    break
                ev = b["event"]
                self.comments.append((iss["uid"], body, ev["id"], ev["uid"], ev["payload"].get("comment_id")))


class SSEClient(threading.Thread):
    """Follows /api/v1/events/stream, reconnecting after every drop, alternately with the
    Last-Event-ID header and the after_id query parameter."""

    def __init__(self, d, stop):
        super().__init__(daemon=True)
        self.d, self.stop = d, stop
        self.last = 0
        self.ids = []
        self.dups = []
        self.out_of_order = []
        self.reconnects = 0
        self.statuses = {}
        self.conn = None

    def run(self):
        first = True
        while not self.stop.is_set():
            try:
                c = UnixHTTPConnection(self.d.sock, timeout=40)
                self.conn = c
                h = {"Accept": "text/event-stream"}
                if self.reconnects % 2 == 0:
                    path = "/api/v1/events/stream?after_id=%d" % self.last
                else:
                    path = "/api/v1/events/stream"
                    h["Last-Event-ID"] = str(self.last)
                if not first:
                    pass
                c.request("GET", path, headers=self.d.headers(h))
                r = c.getresponse()
                self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
                if r.status != 200:
                    r.read()
                    time.sleep(0.1)
                    continue
                first = False
                cur = None
                while True:
                    line = r.readline()
                    if not line:
                        break
                    line = line.rstrip(b"\r\n")
                    if line.startswith(b"id:"):
                        cur = int(line[3:].strip())
                    elif line == b"" and cur is not None:
                        if cur in self._seen:
                            self.dups.append(cur)
                        elif cur <= self.last:
                            self.out_of_order.append(cur)
                        else:
                            self.ids.append(cur)
                            self._seen.add(cur)
                            self.last = cur
                        cur = None
            except Exception:
                pass
            finally:
                try:
                    c.close()
                except Exception:
                    pass
            if not self.stop.is_set():
                self.reconnects += 1
                time.sleep(0.05)

    _seen = None

    def start(self):
        self._seen = set()
        super().start()

    def shutdown(self):
        self.stop.set()
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass


def run(quick):
    p = Part("crash")
    kills = 20 if quick else 40
    nwriters = 6 if quick else 8
    lo, hi = (0.15, 0.8) if quick else (0.2, 1.5)
    d = Daemon("crash")
    d.start()
    try:
        pid = d.make_project("crash")
        stop = threading.Event()
        writers = [Writer(d, pid, i, stop) for i in range(nwriters)]
        sse_stop = threading.Event()
        sse = SSEClient(d, sse_stop)
        sse.start()
        for w in writers:
            w.start()
        restart_ms = []
        for k in range(kills):
            time.sleep(random.uniform(lo, hi))
            d.kill9()
            time.sleep(random.uniform(0, 0.05))
            t = time.time()
            d.start()
            restart_ms.append((time.time() - t) * 1000)
        time.sleep(0.5)
        stop.set()
        for w in writers:
            w.join(15)
        # one more kill right after the load, then a last start to verify against
        d.kill9()
        d.start()
        st, b = d.request("GET", "/api/v1/events?after_id=0&limit=1")
        out, _ = d.sqlite("SELECT COALESCE(MAX(id),0) FROM events")
        max_id = int(out or 0)
        deadline = time.time() + 30
        while sse.last < max_id and time.time() < deadline:
            time.sleep(0.1)
        sse.shutdown()
        sse.join(10)

        issues = [x for w in writers for x in w.issues]
        comments = [x for w in writers for x in w.comments]
        unacked = [x for w in writers for x in w.unacked]
        errors = [x for w in writers for x in w.errors]
        p.try_("%d SIGKILLs" % (kills + 1))
        p.try_("%d writers" % nwriters)
        p.try_("%d acked creates" % len(issues))
        p.try_("%d acked comments" % len(comments))
        p.try_("%d unanswered writes" % len(unacked))
        p.try_("%d SSE reconnects" % sse.reconnects)
        p.figures.update(kills=kills + 1, writers=nwriters, acked_issues=len(issues), acked_comments=len(comments),
                         unanswered=len(unacked), sse_reconnects=sse.reconnects,
                         restart_ms_max=round(max(restart_ms), 1), restart_ms_median=round(sorted(restart_ms)[len(restart_ms) // 2], 1))
        p.check(not errors, "no unexpected HTTP answer during the load", "%d, e.g. %s" % (len(errors), errors[:3]))

        # API view of a sample of acknowledged creates
        bad = []
        for uid, number, title, _, _ in random.sample(issues, min(50, len(issues))):
            st, b = d.request("GET", "/api/v1/projects/%d/issues/%d" % (pid, number))
            if st != 200 or b["issue"]["uid"] != uid or b["issue"]["title"] != title:
                bad.append((number, st))
        p.check(not bad, "API returns sampled acked issues", str(bad[:5]))
        d.stop()

        # database view
        integ, err = d.sqlite("PRAGMA integrity_check")
        p.check(integ == "ok", "PRAGMA integrity_check = ok", integ[:200] + err[:200])
        fk, _ = d.sqlite("PRAGMA foreign_key_check")
        p.check(fk == "", "PRAGMA foreign_key_check empty", fk[:200])
        rows, _ = d.sqlite("SELECT uid, number, title FROM issues WHERE project_id=%d" % pid)
        db_issues = {}
        for line in rows.splitlines():
            uid, number, title = line.split("|", 2)
            db_issues[uid] = (int(number), title)
        missing = [x for x in issues if db_issues.get(x[0]) != (x[1], x[2])]
        p.check(not missing, "every acked create present (%d)" % len(issues), "%d missing, e.g. %s" % (len(missing), missing[:3]))
        rows, _ = d.sqlite("SELECT c.id, i.uid, c.body FROM comments c JOIN issues i ON i.id=c.issue_id")
        db_comments = {}
        for line in rows.splitlines():
            cid, iuid, body = line.split("|", 2)
            db_comments[body] = (iuid, int(cid))
        missing = [x for x in comments if db_comments.get(x[1]) != (x[0], x[4])]
        p.check(not missing, "every acked comment present (%d)" % len(comments), "%d missing, e.g. %s" % (len(missing), missing[:3]))
        rows, _ = d.sqlite("SELECT id, uid, type, issue_uid, payload FROM events ORDER BY id")
        events = []
        for line in rows.splitlines():
            eid, euid, typ, iuid, payload = line.split("|", 4)
            events.append((int(eid), euid, typ, iuid, payload))
        ev_by_id = {e[0]: e for e in events}
        acked_events = [(x[3], x[4]) for x in issues] + [(x[2], x[3]) for x in comments]
        missing = [x for x in acked_events if x[0] not in ev_by_id or ev_by_id[x[0]][1] != x[1]]
        p.check(not missing, "every acked event present with its id (%d)" % len(acked_events), str(missing[:3]))

        # nothing half-written: an issue without its issue.created event, a comment without its event,
        # or an event pointing at nothing
        created = {}
        for e in events:
            if e[2] == "issue.created":
                created[e[3]] = created.get(e[3], 0) + 1
        half = [u for u in db_issues if created.get(u) != 1]
        half += ["event for missing issue " + u for u in created if u not in db_issues]
        commented = {}
        for e in events:
            if e[2] == "issue.commented":
                cid = json.loads(e[4]).get("comment_id")
                commented[cid] = commented.get(cid, 0) + 1
        db_cids = {v[1] for v in db_comments.values()}
        half += ["comment %d without one event" % c for c in db_cids if commented.get(c) != 1]
        half += ["event for missing comment %s" % c for c in commented if c not in db_cids]
        p.check(not half, "nothing half-written (issue/comment rows match their events)", str(half[:5]))
        numbers = sorted(v[0] for v in db_issues.values())
        p.check(numbers == list(range(1, len(numbers) + 1)), "issue numbers dense and unique 1..%d" % len(numbers),
                "first differences: %s" % [n for i, n in enumerate(numbers) if n != i + 1][:5])
        landed = sum(1 for kind, key in unacked if (key in {t for _, t in db_issues.values()} if kind == "issue" else key in db_comments))
        p.figures["unanswered_that_landed"] = landed
        log("unanswered writes: %d, of which %d landed anyway (allowed: the answer was lost, not the write)" % (len(unacked), landed))

        ids = [e[0] for e in events]
        gaps = []
        for a, b in zip(ids, ids[1:]):
            if b != a + 1:
                gaps.append((a, b))
        seq, _ = d.sqlite("SELECT seq FROM sqlite_sequence WHERE name='events'")
        p.figures.update(events=len(ids), event_id_gaps=len(gaps), event_gap_examples=gaps[:10], sqlite_sequence=seq)
        p.check(ids == sorted(set(ids)), "event ids strictly increasing")
        p.check(not gaps, "event log has no gaps (%d events, max id %s, sqlite_sequence %s)" % (len(ids), ids[-1] if ids else 0, seq),
                "%d gaps: %s" % (len(gaps), gaps[:10]))

        # SSE across the kills
        p.figures.update(sse_events=len(sse.ids), sse_duplicates=len(sse.dups), sse_out_of_order=len(sse.out_of_order),
                         sse_statuses=sse.statuses)
        p.check(not sse.dups and not sse.out_of_order, "SSE: no duplicated event across %d reconnects" % sse.reconnects,
                "dups %s, out of order %s" % (sse.dups[:5], sse.out_of_order[:5]))
        missed = sorted(set(ids) - set(sse.ids))
        extra = sorted(set(sse.ids) - set(ids))
        p.check(not missed and not extra, "SSE: every event received (%d of %d)" % (len(sse.ids), len(ids)),
                "missed %d e.g. %s; not in log %s" % (len(missed), missed[:10], extra[:10]))
    finally:
        keep = bool(p.broke)
        if keep:
            log("home kept for inspection: " + d.home)
        d.cleanup(keep=keep)
    return p
