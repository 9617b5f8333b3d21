"""``python -m bench``: the speed table of issue 7, measured side by side in one run.

    python -m bench                     # everything (a few minutes on 2 cores)
    python -m bench --only probe,naive  # some parts: probe naive training pages visit rss
                                        # contrast calibration load
    python -m bench --quick             # small repetitions, for a smoke run
    python -m bench --tiny --only probe # tiny sizes: checks the machinery, not the speed

Prints one table (measure | value | target | result | note) with the machine it ran on and
writes the same numbers to ``bench/results.json`` (``--out`` to change; ``--quick`` and
``--tiny`` runs go to a temporary file). Torch runs on one
thread (``--threads``), as the app does per session.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

PARTS = ("probe", "naive", "training", "pages", "visit", "rss", "contrast", "calibration",
         "load")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(PARTS),
                    help=f"comma-separated parts to run (default all: {','.join(PARTS)})")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    ap.add_argument("--tiny", action="store_true",
                    help="tiny sizes (B 4, T 8, H 8; a few steps): for tests, figures mean nothing")
    ap.add_argument("--reps", type=int, default=21, help="interleaved repetitions per timing")
    ap.add_argument("--sessions", type=int, default=10,
                    help="browser sessions at once for the load part (1..50, default 10)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    ap.add_argument("--out", default=None, help="JSON path (default bench/results.json)")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown part(s) {unknown}; choose from {PARTS}")

    import torch

    import bench
    from core import runtime

    runtime.configure(max(1, args.threads))
    reps = 3 if args.quick else max(1, args.reps)
    if args.tiny:
        reps = 1
        size = dict(B=4, T=8, H=8)
        probe_kw = dict(size, T_long=16)
        train_kw = dict(T=6, H=8, steps=15, reps=1)
        contrast_kw = dict(T=6, sizes=(8,), max_steps=30)
    else:
        size, probe_kw, contrast_kw = {}, {}, {}
        train_kw = dict(steps=150 if args.quick else 300, reps=1 if args.quick else 3)
    machine = bench.machine_info()
    started = time.perf_counter()
    rows: list[bench.Row] = []
    for part in PARTS:
        if part not in parts:
            continue
        t0 = time.perf_counter()
        print(f"[bench] {part} ...", file=sys.stderr, flush=True)
        if part == "probe":
            rows += bench.bench_probe(reps=reps, **probe_kw)
        elif part == "naive":
            rows += bench.bench_naive(**size)
        elif part == "training":
            rows += bench.bench_training(**train_kw)
        elif part == "pages":
            rows += bench.bench_cold_start()
            rows += bench.bench_pages(warm_reps=2 if args.quick else 3)
        elif part == "rss":
            rows += bench.bench_rss()
        elif part == "contrast":
            rows += bench.bench_contrast(**contrast_kw)
        elif part == "visit":
            rows += bench.bench_visit(reps=2 if args.quick else 3)
        elif part == "calibration":
            rows += bench.bench_calibration(quick=args.quick or args.tiny,
                                            names=["vanishing.gradient_profile"]
                                            if args.tiny else None)
        elif part == "load":
            rows += bench.bench_load(sessions=max(1, min(args.sessions, 50)))
        print(f"[bench] {part} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr,
              flush=True)
    machine["loadavg_end"] = bench.machine_info()["loadavg"]
    machine["torch_threads"] = torch.get_num_threads()
    total = time.perf_counter() - started
    print(bench.table(rows, machine))
    failed = [r.name for r in rows if r.passed is False]
    print(f"\n{sum(r.passed is True for r in rows)} targets met, {len(failed)} missed; "
          f"benchmark took {total:.0f} s")
    if args.out:
        out = Path(args.out)
    elif args.tiny or args.quick:  # never overwrite the shipped results with a smoke run
        import tempfile

        out = Path(tempfile.gettempdir()) / "rnnlab_bench_smoke.json"
    else:
        out = bench.RESULTS
    out.write_text(json.dumps(bench.to_json(rows, machine, {"parts": parts, "quick": args.quick,
                                                            "tiny": args.tiny,
                                                            "reps": reps, "seconds": total}),
                              indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
