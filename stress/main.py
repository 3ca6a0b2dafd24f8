"""Runs the stress parts, prints one table row per part, writes stress/results/summary-*.json.
Called by stress/run; see stress/README.md."""
import argparse
import importlib
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Part  # noqa: E402

PARTS = ["crash", "concurrency", "fuzz", "hostile", "secrets"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    a = ap.parse_args()
    names = a.only or PARTS
    for n in names:
        if n not in PARTS:
            sys.exit("unknown part %r; parts: %s" % (n, ", ".join(PARTS)))
    records = []
    for n in names:
        print("== %s (%s)" % (n, "quick" if a.quick else "full"), flush=True)
        try:
            mod = importlib.import_module("part_" + n)
            p = mod.run(a.quick)
        except Exception:
            p = Part(n)
            p.check(False, "part ran to the end", traceback.format_exc().strip().splitlines()[-1])
            traceback.print_exc()
        r = p.record()
        records.append(r)
        print("   %s: %.1fs, %d held, %d broke" % (n, r["seconds"], len(r["held"]), len(r["broke"])), flush=True)

    print()
    print("| part | tried | held | broke |")
    print("| --- | --- | --- | --- |")
    for r in records:
        print("| %s | %s | %d checks | %s |" % (r["part"], ", ".join(r["tried"]) or "-", len(r["held"]),
                                              "; ".join(b[:110] + ("..." if len(b) > 110 else "") for b in r["broke"]) or "nothing"))
    os.makedirs(a.results, exist_ok=True)
    path = os.path.join(a.results, "summary-%s.json" % time.strftime("%Y%m%dT%H%M%S"))
    summary = {"mode": "quick" if a.quick else "full", "bin_dir": os.environ.get("KATA_BIN_DIR"),
               "parts": records, "ok": all(not r["broke"] for r in records)}
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(a.results, "last.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("\nsummary: " + path)
    broke = sum(len(r["broke"]) for r in records)
    print("stress: %d parts, %d checks held, %d broke" % (len(records), sum(len(r["held"]) for r in records), broke))
    sys.exit(1 if broke else 0)


if __name__ == "__main__":
    main()
