"""The ``synthloop advise`` subcommand (registered by :mod:`synthloop.cli`).

Kept beside the advisor so the command's options follow its parameters;
:mod:`synthloop.cli` only calls :func:`add_advise_parser`.
"""

from __future__ import annotations

import argparse

from ..datasets import BUNDLED, read_table
from ..exceptions import UsageError
from ..generators import GENERATORS, make_generator
from ..utils._optional import import_optional
from ._drift import ADVISED_POOLS

EPILOG_ADVISE = """\
examples (each answers on bundled Adult in under a minute on 2 cores: benchmarks/bench_advise_examples.py):
  synthloop advise adult --generator copula --generations 20 --tolerance 0.05
  synthloop advise adult --generator copula --generations 5 --tolerance 0.01 --target income
  synthloop advise adult --generator copula --generations 10 --tolerance 0.02 --budget-rows 5000000
  synthloop advise adult --generator copula --generations 20 --tolerance 0.01 --pool augment
  synthloop advise adult --generator copula --generations 10 --tolerance 0.02 --criterion tv
"""

def cmd_advise(args):
    """Run :func:`~synthloop.advise.recommend_schedule` and print its table."""
    from . import recommend_schedule

    if args.plot:  # before the work, not after it
        import_optional("matplotlib", owner="--plot", extra="plot")
    try:
        frame = read_table(args.data)
    except (ValueError, FileNotFoundError) as exc:  # a bad DATA is a usage error (exit code 2)
        raise UsageError(str(exc)) from None
    generator = make_generator(args.generator)
    advice = recommend_schedule(
        frame, generator=generator, n_generations=args.generations, tolerance=args.tolerance,
        criterion=args.criterion,
        target=args.target, reference=args.reference if args.target else None, metric=args.metric,
        budget_rows=args.budget_rows, verbose=0 if args.quiet else 1,
        families=tuple(args.families.split(",")), pool=args.pool, confidence=args.confidence,
        n_reps=args.n_reps, random_state=args.random_state,
    )
    print(f"{args.data}: {frame.shape[0]:,} rows x {frame.shape[1]} columns, generator {args.generator}")
    print(advice.summary())
    if args.plot:
        advice.plot().savefig(args.plot, dpi=120)
        print(f"figure: {args.plot}")


def add_advise_parser(sub):
    """Add the ``advise`` subparser to an ``argparse`` subparsers object."""
    p = sub.add_parser("advise", help="the cheapest schedule that keeps generation T within a tolerance",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG_ADVISE,
                       description="Recommend an expansion schedule: for each family (constant, linear, "
                                   "polynomial, geometric) the smallest setting whose generation T stays within "
                                   "--tolerance of the model fit on DATA with probability --confidence, its "
                                   "rows and fit time.")
    p.add_argument("data", metavar="DATA", help=f"a .csv or .parquet table, or a bundled dataset "
                                                f"({', '.join(BUNDLED)})")
    p.add_argument("--generator", choices=list(GENERATORS), default="copula",
                   help="the model (default copula)")
    p.add_argument("--generations", type=int, required=True, metavar="T", help="the generation T")
    p.add_argument("--tolerance", type=float, required=True,
                   help="nats of drift KL(P_T || P_0), the largest column distance with --criterion tv, or the "
                        "utility loss with --target")
    p.add_argument("--criterion", choices=("kl", "tv"), default="kl",
                   help="without --target: nats of KL drift (kl, default) or the largest per-column total "
                        "variation / Kolmogorov-Smirnov distance to generation 0 (tv, every column)")
    p.add_argument("--target", default=None, help="a column: the tolerance is on TSTR - TRTR at generation T")
    p.add_argument("--reference", choices=("generation0", "real"), default="generation0",
                   help="with --target: the loss against generation 0 of the same generator (default: the loss "
                        "the generations add) or against real-only training (real)")
    p.add_argument("--metric", default=None, help="scorer of --target (default roc_auc / r2)")
    p.add_argument("--budget-rows", type=int, default=None, help="largest total of synthetic rows")
    p.add_argument("--families", default="constant,linear,polynomial,geometric",
                   help="comma-separated schedule families")
    p.add_argument("--pool", choices=ADVISED_POOLS, default="replace",
                   help="what each generation trains on: the synthetic rows only (replace, default), plus the "
                        "real rows (augment), plus the real and all earlier synthetic rows (accumulate)")
    p.add_argument("--confidence", type=float, default=0.9, help="promised share of runs (default 0.9)")
    p.add_argument("--n-reps", type=int, default=1000, help="simulated replications per setting (default 1000)")
    p.add_argument("--plot", default=None, metavar="PNG", help="also save the figure")
    p.add_argument("--quiet", action="store_true", help="no time estimate and no progress bar")
    p.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    p.set_defaults(func=cmd_advise)
    return p
