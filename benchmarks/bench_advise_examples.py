"""Wall time and answer of every example in ``synthloop advise --help`` (issue 12: each under 60 s on 2 cores).

Each example line of the epilog is run as a subprocess (with ``--quiet``) and
its wall time, its recommendation line and whether it recommends a schedule
are printed and stored in ``benchmarks/results/advise_examples.json``, from
which docs/advise.rst quotes the figures.

Run: ``.venv/bin/python benchmarks/bench_advise_examples.py [--repeats 1]``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def examples():
    sys.path.insert(0, str(ROOT))
    from synthloop.advise._cli import EPILOG_ADVISE

    return [line.strip() for line in EPILOG_ADVISE.splitlines() if line.strip().startswith("synthloop advise")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    exe = Path(sys.executable).with_name("synthloop")
    results = []
    for line in examples():
        cmd = [str(exe)] + shlex.split(line)[1:] + ["--quiet"]
        times, out = [], ""
        for _ in range(args.repeats):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
            out = proc.stdout
            if proc.returncode:
                raise SystemExit(f"{line}: exit {proc.returncode}\n{proc.stderr}")
        rec = next((ln for ln in out.splitlines() if ln.startswith("recommendation:")), "")
        keep = ("predicted utility loss", "note: generation 0 loses", "note: the evaluator's own noise",
                "note: the first search")
        extra = [ln for ln in out.splitlines() if ln.startswith(keep)]
        row = {"example": line, "seconds_median": statistics.median(times), "seconds_min": min(times),
               "seconds_max": max(times), "repeats": args.repeats, "recommendation": rec,
               "answers": rec.startswith("recommendation:") and not rec.startswith("recommendation: none"),
               "details": extra}
        results.append(row)
        print(f"{row['seconds_median']:6.1f} s  {'answers' if row['answers'] else 'NO ANSWER'}  {line}\n"
              f"          {rec}", flush=True)
    out = ROOT / "benchmarks" / "results" / "advise_examples.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    out.with_suffix(".txt").write_text("".join(
        f"{r['seconds_median']:5.1f} s  {r['example']}\n        {r['recommendation']}\n"
        + "".join(f"        {line}\n" for line in r["details"]) for r in results))
    print(f"results in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
