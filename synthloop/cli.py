"""The ``synthloop`` command: the only module that parses arguments or prints.

Exit codes: 0 success, 1 the work failed, 2 bad usage. Errors are one line;
``--debug`` shows the traceback.
"""

import argparse
import sys

__all__ = ["main"]

EPILOG_QUICKSTART = """\
examples:
  synthloop quickstart                 # all generators on UCI Adult (train split)
  synthloop quickstart --rows 5000     # sample 5,000 synthetic rows each
"""


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


def _cmd_datasets(args):
    import pandas as pd

    from .datasets import list_datasets

    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(list_datasets().to_string(index=False))


def _quickstart_generators(frame):
    import synthloop

    numeric = [c for c in frame.columns if frame[c].dtype.kind in "iuf" and frame[c].notna().all()]
    discrete = [c for c in frame.columns if c not in numeric]
    gens = {"MultivariateNormal": (synthloop.MultivariateNormalGenerator(), numeric)}
    if hasattr(synthloop, "CategoricalGenerator"):
        gens["Categorical(independent)"] = (synthloop.CategoricalGenerator(structure="independent"), discrete)
    if hasattr(synthloop, "GaussianCopulaGenerator"):
        gens["GaussianCopula"] = (synthloop.GaussianCopulaGenerator(), list(frame.columns))
    return gens


def _cmd_quickstart(args):
    import pandas as pd

    from .datasets import load_adult
    from .study import compare_generators

    frame = load_adult(split="train").frame
    print(f"UCI Adult (train): {frame.shape[0]:,} rows x {frame.shape[1]} columns; "
          f"{int(frame.isna().sum().sum()):,} missing cells")
    table = compare_generators(frame, _quickstart_generators(frame), n_samples=args.rows,
                               random_state=args.random_state)
    fmt = {"real_mean": "{:.4g}", "synthetic_mean": "{:.4g}", "real_std": "{:.4g}",
           "synthetic_std": "{:.4g}", "distance": "{:.3f}"}
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        for name, part in table.groupby("generator", sort=False):
            print(f"\n== {name}: fit {part['fit_seconds'].iloc[0]:.2f} s, "
                  f"sample {part['sample_seconds'].iloc[0]:.2f} s "
                  "(distance: KS for numeric, total variation for categorical)")
            shown = part.drop(columns=["generator", "fit_seconds", "sample_seconds"]).copy()
            for col, f in fmt.items():
                shown[col] = shown[col].map(lambda v, f=f: "" if pd.isna(v) else f.format(v))
            for col in ("real_levels", "synthetic_levels"):
                shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else str(int(v)))
            print(shown.to_string(index=False))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="synthloop",
        description="Recursive training on synthetic tabular data.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("datasets", help="list the bundled datasets",
                       description="List the datasets bundled with synthloop.",
                       epilog="example:\n  synthloop datasets", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("quickstart", help="fit every generator on UCI Adult and compare columns",
                       description="Fit each generator on the bundled UCI Adult table, sample, and print "
                                   "real-vs-synthetic statistics for every column.",
                       epilog=EPILOG_QUICKSTART, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=None, help="synthetic rows per generator (default: as many as real)")
    p.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    p.set_defaults(func=_cmd_quickstart)
    return parser


def main(argv=None):
    """Run the ``synthloop`` command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        args.func(args)
    except UsageError as exc:
        print(f"synthloop: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("synthloop: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # one clear line unless --debug
        if args.debug:
            raise
        print(f"synthloop: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
