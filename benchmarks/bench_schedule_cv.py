"""Cross-validation against the advisor for choosing a schedule on Adult (docs/schedule_cv.rst).

Runs the grid search of ``docs/examples/schedule_by_cv.py`` on bundled Adult
and, alternating with it in the same process, the advisor
(:func:`synthloop.advise.recommend_schedule`, the example's
``advisor_answer``) for the same question at two (pool, n_generations)
pairs: the one the search chose, and ``pool="replace"`` at the grid's
largest ``n_generations`` (no real rows in the pools: where the schedule
matters most). Prints and stores in ``benchmarks/results/schedule_cv.json``
(and ``.txt``, which the page includes) the search's ``cv_results_``, each
method's answer, and the wall times: median (min-max) of ``--repeats`` runs,
and the median of the paired ratios advisor / search.

Run: ``.venv/bin/python benchmarks/bench_schedule_cv.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_example():
    spec = importlib.util.spec_from_file_location("schedule_by_cv", ROOT / "docs" / "examples" / "schedule_by_cv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import numpy as np
    import sklearn

    import synthloop
    from synthloop.datasets import load_adult

    example = load_example()
    adult = load_adult()
    X, y = adult.data, adult.target
    search_seconds, advisor_seconds, answers, questions = [], {}, {}, None
    for repeat in range(args.repeats):
        start = time.perf_counter()
        search = example.make_search().fit(X, y)
        search_seconds.append(time.perf_counter() - start)
        if questions is None:
            chosen = (search.best_params_["synth__pool"], search.best_params_["synth__n_generations"])
            hard = ("replace", max(example.PARAM_GRID["synth__n_generations"]))
            questions = list(dict.fromkeys([chosen, hard]))
        for pool, n_generations in questions:
            start = time.perf_counter()
            advice = example.advisor_answer(X, y, pool=pool, n_generations=n_generations)
            advisor_seconds.setdefault((pool, n_generations), []).append(time.perf_counter() - start)
            answers[pool, n_generations] = advice
        print(f"repeat {repeat + 1}/{args.repeats}: search {search_seconds[-1]:.1f} s, advisor "
              + ", ".join(f"{p}/T={t} {advisor_seconds[p, t][-1]:.1f} s" for p, t in questions), flush=True)

    table = example.results_table(search)
    n_fits = len(table) * search.n_splits_ + 1
    result = {
        "n_rows": len(X), "repeats": args.repeats, "tolerance": example.TOLERANCE, "n_fits": n_fits,
        "search_seconds": spread(search_seconds), "cv_results": table.to_dict("records"),
        "chosen": search.best_params_,
        "versions": {"synthloop": synthloop.__version__, "scikit-learn": sklearn.__version__,
                     "python": platform.python_version()},
        "machine": {"cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]},
        "questions": [],
    }
    for pool, n_generations in questions:
        advice = answers[pool, n_generations]
        cv_best = example.cheapest_setting(search, pool=pool, n_generations=n_generations)
        row = table[(table["pool"] == pool) & (table["n_generations"] == n_generations)
                    & (table["schedule"] == cv_best["synth__schedule"])].iloc[0]
        rec = advice.recommendation
        ratios = [a / s for a, s in zip(advisor_seconds[pool, n_generations], search_seconds)]
        result["questions"].append({
            "pool": pool, "n_generations": n_generations,
            "search": {"schedule": cv_best["synth__schedule"], "synthetic_rows": int(row["synthetic_rows"]),
                       "roc_auc": float(row["roc_auc"]), "roc_auc_sd": float(row["roc_auc_sd"])},
            "advisor": {"recommendation": _recommendation_line(advice),
                        "estimator": advice.calibration["estimator"],
                        "schedule": None if rec is None else repr(advice.schedule),
                        "synthetic_rows": None if rec is None else int(rec["total_rows"]),
                        "probability": None if rec is None else float(rec["probability"]),
                        "noise_sd": float(advice.calibration["noise_sd"]),
                        "seconds": spread(advisor_seconds[pool, n_generations])},
            "advisor_over_search": spread(ratios),
        })
    out = ROOT / "benchmarks" / "results" / "schedule_cv.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))
    out.with_suffix(".txt").write_text(render(result, table))
    print(render(result, table))
    print(f"results in {out.relative_to(ROOT)}")


def _recommendation_line(advice):
    return next(line for line in advice.summary().splitlines() if line.startswith("recommendation:"))


def render(result, table):
    s = result["search_seconds"]
    lines = [
        f"Adult, {result['n_rows']:,} rows, 3-fold stratified CV, tolerance {result['tolerance']} AUC; "
        f"{result['repeats']} repeats on {result['machine']['cpus']} cores "
        f"(load {result['machine']['load_average_1min']:.1f})",
        "",
        table.round(4).to_string(index=False),
        "",
        f"grid search: {result['n_fits']} runs of the loop, {s['median']:.1f} s ({s['min']:.1f}-{s['max']:.1f}); "
        f"chosen {result['chosen']}",
    ]
    for q in result["questions"]:
        cv, adv, r = q["search"], q["advisor"], q["advisor_over_search"]
        t = adv["seconds"]
        lines += [
            "",
            f"pool={q['pool']!r}, n_generations={q['n_generations']}:",
            f"  search : {cv['schedule']}, {cv['synthetic_rows']:,} synthetic rows, "
            f"AUC {cv['roc_auc']:.4f} +- {cv['roc_auc_sd']:.4f} over the folds",
            f"  advisor: {adv['recommendation']}",
            f"           downstream {adv['estimator']}, one split's AUC noise sd {adv['noise_sd']:.3g}; "
            f"{t['median']:.1f} s ({t['min']:.1f}-"
            f"{t['max']:.1f}), {r['median']:.2f}x the search ({r['min']:.2f}-{r['max']:.2f})",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
