#!/usr/bin/env python3
"""Turns the raw measurements of one bench/run into figure lines and bench/results/<stamp>.json.

    report.py RAW_DIR OUT_JSON

Each line: name, value, the ceiling measured in the same run, the ratio, the goal, and MET / NOT MET
(or "info" for figures without a goal, "skipped (...)" for figures this run did not measure).
"""
import json
import os
import sys

raw_dir, out_path = sys.argv[1], sys.argv[2]


def load(name):
    p = os.path.join(raw_dir, name + ".json")
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


machine = load("machine") or {}
issues = load("issues") or {}
quick = machine.get("mode") == "quick"
figures = []


def fig(name, value, unit, ceiling=None, cunit="", ratio=None, goal="—", met=None, note=""):
    figures.append(dict(name=name, value=value, unit=unit, ceiling=ceiling, ceiling_unit=cunit, ratio=ratio,
                        goal=goal, met=met, note=note))


def rounds(name):
    """The measurements of `name` in each round (`name.1.json`, `name.2.json`, ...)."""
    found = []
    while (d := load(f"{name}.{len(found) + 1}")) is not None:
        found.append(d)
    return found


def median_round(items, key, lower_is_better=False):
    """The item whose `key` is the median, and every round's `key`, sorted. Of an even count, the worse of the two
    middle ones: the lower for a throughput, the higher for a latency (`lower_is_better`)."""
    ordered = sorted(items, key=key)
    n = len(ordered)
    return ordered[n // 2 if lower_is_better else (n - 1) // 2], [key(i) for i in ordered]


def spread(values, fmt_):
    """What a note says of the rounds behind a figure: nothing for one round."""
    return "" if len(values) < 2 else f"; median of {len(values)} rounds: {', '.join(fmt_(v) for v in values)}"


def pct(x):
    return f"{x * 100:.0f} %"


def skipped(name, why):
    figures.append(dict(name=name, value=None, unit="", ceiling=None, ceiling_unit="", ratio=None, goal="—",
                        met=None, note=f"skipped ({why})"))


# Each round's creates are held against the SQLite ceiling measured just before them.
sq_rounds = rounds("sqlite_ceiling")
sq = median_round(sq_rounds, lambda d: d["tx_per_s"])[0] if sq_rounds else None
cu = None
for tr in ("tcp", "unix"):
    pairs = [(c, s) for c, s in zip(rounds(f"creates_{tr}"), sq_rounds)]
    if not pairs:
        skipped(f"creates/s, 16 clients, {tr}", "no data")
        continue
    (c, s), vals = median_round(pairs, lambda p: p[0]["rps"] / p[1]["tx_per_s"])
    if tr == "unix":
        cu = median_round([p[0] for p in pairs], lambda d: d["rps"])[0]
    r = c["rps"] / s["tx_per_s"]
    fig(f"creates/s, 16 clients, {tr}", c["rps"], "req/s", s["tx_per_s"], "tx/s (SQLite)", r, "≥ 100 %", r >= 1.0,
        f"non-2xx {sum(p[0]['non2xx'] for p in pairs)}, errors {sum(p[0]['errors'] for p in pairs)}" + spread(vals, pct))
cf = load("creates_force_unix")
if cf and sq:
    fig("  creates/s with force_new (look-alike check skipped), unix", cf["rps"], "req/s", sq["tx_per_s"], "tx/s (SQLite)",
        cf["rps"] / sq["tx_per_s"], note=f"non-2xx {cf['non2xx']}, errors {cf['errors']}")
if sq:
    fig("  SQLite ceiling latency", sq["p50_ms"], "ms p50", note=f"p99 {sq['p99_ms']:.2f} ms, {sq['tx']} tx (the median round's)")

# Each round's reads are held against the HTTP ceiling measured right after them on the same transport.
for tr in ("tcp", "unix"):
    reads, ceilings = rounds(f"reads_{tr}"), rounds(f"ceiling_http_{tr}")
    pairs = list(zip(reads, ceilings))
    if pairs:
        (rd, ce), vals = median_round(pairs, lambda p: p[0]["rps"] / p[1]["rps"])
        r = rd["rps"] / ce["rps"]
        fig(f"reads/s (GET one issue), 16 clients, {tr}", rd["rps"], "req/s", ce["rps"], "req/s (Hummingbird constant)", r,
            "≥ 70 %", r >= 0.70, f"non-2xx {sum(p[0]['non2xx'] for p in pairs)}" + spread(vals, pct))
    elif reads:
        rd = median_round(reads, lambda d: d["rps"])[0]
        fig(f"reads/s (GET one issue), 16 clients, {tr}", rd["rps"], "req/s", note="no HTTP ceiling for this transport")
    else:
        skipped(f"reads/s, {tr}", "no data")

for kind in ("create", "read"):
    for tr in ("tcp", "unix"):
        hs = rounds(f"{kind}_half_{tr}")
        if not hs:
            skipped(f"{kind} latency at half of peak, {tr}", "no data")
            continue
        h, vals = median_round(hs, lambda d: d["p99_ms"], lower_is_better=True)
        # Met when the median round's p99 is within the goal and every round held its rate.
        held = all(d["rps"] >= 0.9 * d["target_rate"] for d in hs)
        fig(f"{kind} p99 at half of peak ({h['target_rate']:.0f}/s), {tr}", h["p99_ms"], "ms", goal="p99 ≤ 10 ms",
            met=h["p99_ms"] <= 10 and held,
            note=f"p50 {h['p50_ms']:.2f} ms, got {h['rps']:.0f}/s, non-2xx {sum(d['non2xx'] for d in hs)}"
                 + spread(vals, lambda v: f"{v:.1f} ms") + ("" if held else "; a round fell below 90 % of its rate"))

for name, key in (("kata create", "cli_create"), ("kata list", "cli_list")):
    t = load(key)
    if not t:
        skipped(f"{name} end to end", "no data")
        continue
    k, c = t["cmds"][0], t["cmds"][1]
    r = k["median_ms"] / c["median_ms"]
    note = f"median of {t['runs']} after {t['warmups']} warm-ups; failures kata {k['failures']} curl {c['failures']}"
    if len(t["cmds"]) > 2:
        note += f"; `true` {t['cmds'][2]['median_ms']:.2f} ms"
    fig(f"{name} end to end", k["median_ms"], "ms", c["median_ms"], "ms (curl)", r, "≤ 1.5×", r <= 1.5, note)

n = issues.get("issues", 0)
seed = load("seed")
if seed:
    fig("  seeding straight into kata.db (SQLite, 5,000 per tx)", seed["issues"] / max(seed["seconds"], 0.001), "issues/s",
        note=f"{seed['issues']} issues in {seed['seconds']:.1f} s")
big_note = f"at {n} issues" + (" (quick mode: not filled to 100,000)" if quick else "")
for label, key in (("list first page", "list_big"), ("search (one word)", "search_big"), ("ready", "ready_big")):
    d = load(key)
    if not d:
        skipped(f"{label} {big_note}", "no data")
        continue
    fig(f"{label} p50, {big_note}", d["p50_ms"], "ms", goal="p50 ≤ 5 ms", met=d["p50_ms"] <= 5,
        note=f"p99 {d['p99_ms']:.2f} ms, {d['rps']:.0f}/s on 1 connection, non-2xx {d['non2xx']}")

sse_pairs = list(zip(rounds("sse"), rounds("sse_writer")))
if sse_pairs:
    def delivered(p):
        created = p[1]["status"].get("201", 0)
        return p[0]["min_frames_per_sub"] >= created and p[0]["connected"] == p[0]["subscribers"] and created > 0
    # Met when the median round's lag is within the goal, and in every round every subscriber got every event
    # and the writer held its rate.
    complete = all(delivered(p) for p in sse_pairs)
    held = all(p[1]["rps"] >= 0.95 * p[1]["target_rate"] for p in sse_pairs)
    (sse, w), vals = median_round(sse_pairs, lambda p: p[0]["lag_p99_ms"], lower_is_better=True)
    created = w["status"].get("201", 0)
    fig(f"SSE lag p99, {sse['connected']} subscribers, writer {w['rps']:.0f} of {w['target_rate']:.0f} ev/s", sse["lag_p99_ms"], "ms",
        goal="lag p99 ≤ 50 ms", met=sse["lag_p99_ms"] <= 50 and complete and held,
        note=f"p50 {sse['lag_p50_ms']:.1f} ms, max {sse['lag_max_ms']:.0f} ms; every subscriber got all {created} events: "
             f"{'yes' if complete else 'no'}; writer held its rate: {'yes' if held else 'no'}"
             + spread(vals, lambda v: f"{v:.1f} ms") + (" (both in every round)" if len(sse_pairs) > 1 else ""))
    fig("SSE events delivered/s (all subscribers)", sse["frames_per_s"], "frames/s",
        note=f"{sse['frames']} frames; per subscriber {sse['min_frames_per_sub']}..{sse['max_frames_per_sub']}, writer created {created}")
else:
    skipped("SSE", "no data")

cb = load("creates_big")
if cb and cu:
    fig(f"  creates/s through the API {big_note}, unix", cb["rps"], "req/s", cu["rps"], "req/s (near-empty table)",
        cb["rps"] / cu["rps"], note=f"p99 {cb['p99_ms']:.0f} ms, non-2xx {cb['non2xx']}")

ri, rb = load("rss_idle"), load("rss_big")
if ri:
    v = ri["rss_kb"] * 1024 / 1e6
    fig("daemon RSS idle", v, "MB", goal="≤ 40 MB", met=v <= 40, note=f"peak (VmHWM) {ri['hwm_kb'] * 1024 / 1e6:.1f} MB")
if rb:
    v = rb["rss_kb"] * 1024 / 1e6
    fig(f"daemon RSS {big_note}", v, "MB", goal="≤ 120 MB", met=v <= 120,
        note=f"peak so far (VmHWM) {rb['hwm_kb'] * 1024 / 1e6:.1f} MB")
rs, re_, rr = load("rss_sse"), load("rss_end"), load("rss_before_restart")
if rs:
    fig("  daemon RSS with the SSE subscribers connected", rs["rss_kb"] * 1024 / 1e6, "MB")
if rr:
    fig("  daemon RSS before the restart (after the loads above)", rr["rss_kb"] * 1024 / 1e6, "MB",
        note=f"peak (VmHWM) {rr['hwm_kb'] * 1024 / 1e6:.1f} MB")
if re_:
    # katad is restarted after the seeding: the peak is the larger of the two processes' VmHWM.
    peak = max(re_["hwm_kb"], rr["hwm_kb"] if rr else 0)
    fig("  daemon peak RSS over the whole run", peak * 1024 / 1e6, "MB", note="VmHWM, both processes (restart after seeding)")

pt = load("portability")
if pt:
    n = issues.get("issues", 0)
    fig(f"kata export, {n} issues", pt["export_s"], "s", pt["dump_s"], "s (sqlite3 .dump)", pt["export_s"] / pt["dump_s"],
        note=f"{pt['export_bytes'] / 1e6:.1f} MB JSONL vs {pt['dump_bytes'] / 1e6:.1f} MB SQL")
    fig(f"kata import, {n} issues (into an empty home)", pt["import_s"], "s", pt["reload_s"], "s (sqlite3 reload of the dump)",
        pt["import_s"] / pt["reload_s"], note="validate every line, then one transaction; includes the daemon's auto-start")

lg = load("login")
if lg:
    fig("login (POST /auth/login) p50", lg["p50_ms"], "ms", note=f"p99 {lg['p99_ms']:.1f} ms, {lg['requests']} sequential logins, "
        f"non-2xx {lg['non2xx']}; argon2id ~50 ms by design")
rb0, rb1, lb = load("reads_before_logins"), load("reads_during_logins"), load("login_burst")
if rb0 and rb1:
    r = rb1["rps"] / rb0["rps"]
    fig("reads/s during a burst of logins (4 clients logging in)", rb1["rps"], "req/s", rb0["rps"], "req/s (no logins)", r,
        note=(f"logins {lb['rps']:.1f}/s, login p99 {lb['p99_ms']:.0f} ms; " if lb else "") + f"read p99 {rb1['p99_ms']:.1f} ms vs {rb0['p99_ms']:.1f} ms")


def fmt(v):
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"


print()
print(f"kata bench ({machine.get('mode')}), git {machine.get('git')}, {machine.get('nproc')} cores, "
      f"load average at start {', '.join(f'{x:.2f}' for x in machine.get('loadavg_start', []))}, SQLite {machine.get('sqlite')}")
for f in figures:
    if f["note"].startswith("skipped"):
        print(f"{f['name']}  {f['note']}")
        continue
    status = "info" if f["met"] is None else ("MET" if f["met"] else "NOT MET")
    ceiling = f"ceiling {fmt(f['ceiling'])} {f['ceiling_unit']}" if f["ceiling"] is not None else "ceiling —"
    ratio = f"{f['ratio'] * 100:.0f} %" if f["ratio"] is not None else "—"
    value = f"{fmt(f['value'])} {f['unit']}"
    print(f"{f['name']:<60}  {value:>16}  {ceiling:<40}  {ratio:>6}  {f['goal']:<16}  {status}"
          + (f"  ({f['note']})" if f["note"] else ""))
el = load("elapsed")
if el:
    print(f"total {el['seconds']} s")

raw = {name[:-5]: load(name[:-5]) for name in sorted(os.listdir(raw_dir)) if name.endswith(".json")}
with open(out_path, "w") as f:
    json.dump({"machine": machine, "figures": figures, "raw": raw}, f, indent=1)
print(f"results: {out_path}")
