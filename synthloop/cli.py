"""The ``synthloop`` command: the only module that parses arguments or prints.

Exit codes: 0 success, 1 the work failed, 2 bad usage. Errors are one line;
``--debug`` shows the traceback.
"""

import argparse
import sys

from ._pool_names import POOLS
from .exceptions import UsageError

__all__ = ["main"]

EPILOG_QUICKSTART = """\
examples:
  synthloop quickstart                 # all generators on UCI Adult (train split)
  synthloop quickstart --rows 5000     # sample 5,000 synthetic rows each
"""


def _cmd_datasets(args):
    import pandas as pd

    from .datasets import list_datasets

    table = list_datasets()
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False))
    for row in table[table["split"] != "all"].itertuples():  # `rows` counts every split; say which one is loaded
        print(f"\nload_{row.name}() returns its {row.split} split: {row.split_rows:,} of the {row.rows:,} rows, as does "
              f"{row.name!r} in the other commands and in study configs; load_{row.name}(split=...) gives the others.")


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


EPILOG_RUN = """\
examples:
  synthloop run experiments/adult_recursive/config.toml
  synthloop run experiments/adult_recursive/config.toml --out results/adult --n-jobs 2
  synthloop run my_study.toml --smoke                   # a seconds-long version of any study
  synthloop run my_study.toml --backend dask --scheduler tcp://10.0.0.5:8786

Finished cells are stored one file each in --out; rerun the same command after an
interruption and only the missing cells run.
"""

EPILOG_REPORT = """\
examples:
  synthloop report results/adult_recursive
  synthloop report results/adult_recursive --to reports/adult
"""

EPILOG_SYNTHESIZE = """\
examples:
  synthloop synthesize data.csv --generator copula --schedule polynomial:1.5 --pool replace \\
      --generations 10 --rows 1000 -o synthetic.csv
  synthloop synthesize data.parquet --generator mvn --generations 0 -o synthetic.parquet
"""


def _reproduce_report_dir(name):
    """Where ``synthloop reproduce NAME`` writes its report: one directory per study, whose figures share it."""
    from .study._bundled import REPRODUCTIONS

    sharing = [n for n, study in REPRODUCTIONS.items() if study == REPRODUCTIONS[name]]
    return f"reports/{name if len(sharing) == 1 else REPRODUCTIONS[name]}"


def _reproduce_epilog():
    from .study._bundled import REPRODUCTIONS

    lines, names_of = ["NAME, its study (results in results/<study>) and report (<dir>/index.html):"], {}
    for name, study in sorted(REPRODUCTIONS.items()):
        lines.append(f"  {name:<17} {study:<25} {_reproduce_report_dir(name)}")
        names_of.setdefault(study, []).append(name)
    for study, names in names_of.items():
        if len(names) > 1:
            lines.append(f"\n{', '.join(names)} are one study ({study}): they share its results and its report, "
                         f"which draws all {len(names)} figures. After one of them, the others run 0 cells and "
                         "redraw the same report.")
    lines += ["", "examples:", "  synthloop reproduce adult",
              "  synthloop reproduce xu2025-fig3 --n-jobs 2", "  synthloop reproduce seddik2024-fig1 --smoke"]
    return "\n".join(lines)


def _load_study_config(path, smoke):
    from .study import load_config, smoke_config

    cfg = load_config(path)
    return smoke_config(cfg) if smoke else cfg


def _study_errors(func):
    """Map the study's usage errors (bad config, wrong results directory) to exit code 2."""
    def wrapper(args):
        from .study import ConfigError, StoreMismatchError

        try:
            return func(args)
        except (ConfigError, StoreMismatchError) as exc:
            raise UsageError(str(exc)) from exc
    return wrapper


@_study_errors
def _cmd_run(args):
    from .study import run_study

    if args.scheduler and args.backend != "dask":
        raise UsageError("--scheduler needs --backend dask")
    cfg = _load_study_config(args.config, args.smoke)
    out = args.out or f"results/{cfg.name}"
    info = run_study(cfg, out, n_jobs=args.n_jobs, backend=args.backend, scheduler=args.scheduler,
                     progress=not args.quiet)
    print(f"{info['n_run']} cells run, {info['n_skipped']} already stored, {info['n_cells']} in all "
          f"(config hash {info['config_hash']}).")
    print(f"results: {info['out_dir']}")
    print(f"report:  synthloop report {info['out_dir']}")
    return info


def _cmd_report(args):
    from .study import make_report

    try:
        index = make_report(args.results, args.to)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    print(f"report: {index}")


@_study_errors
def _cmd_reproduce(args):
    from .study import bundled_config_path, make_report, run_study

    cfg = _load_study_config(bundled_config_path(args.name), args.smoke)
    out = args.out or f"results/{cfg.name}"
    report_dir = args.report_dir or (_reproduce_report_dir(args.name) + ("-smoke" if args.smoke else ""))
    info = run_study(cfg, out, n_jobs=args.n_jobs, progress=not args.quiet)
    print(f"{info['n_run']} cells run, {info['n_skipped']} already stored; results: {info['out_dir']}")
    index = make_report(out, report_dir)
    print(f"report: {index.resolve()}")


def _cmd_synthesize(args):
    from pathlib import Path

    import synthloop
    from synthloop.datasets import read_table
    from synthloop.generators import make_generator
    from synthloop.utils._optional import import_optional

    if Path(args.output).suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"-o/--output must end in .csv or .parquet; got {args.output!r}")
    if Path(args.output).suffix.lower() == ".parquet":  # before the work, not after it
        import_optional("pyarrow", owner=f"writing {args.output!r}", extra="parquet")
    try:
        frame = read_table(args.data)
    except (ValueError, FileNotFoundError) as exc:  # a bad DATA is a usage error (exit code 2)
        raise UsageError(str(exc)) from None
    generator = make_generator(args.generator)
    rs = synthloop.RecursiveSynthesizer(generator, n_generations=args.generations, schedule=args.schedule,
                                        pool=args.pool, random_state=args.random_state).fit(frame)
    rows = len(frame) if args.rows is None else args.rows
    out = rs.sample(rows, random_state=args.random_state)
    if args.output.lower().endswith(".parquet"):
        out.to_parquet(args.output, index=False)
    else:
        out.to_csv(args.output, index=False)
    print(f"wrote {len(out):,} rows x {out.shape[1]} columns from generation {args.generations} to {args.output}")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="synthloop",
        description="Recursive training on synthetic tabular data.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"synthloop {__version__}")
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

    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("run", help="run a study config (resumable)", formatter_class=fmt, epilog=EPILOG_RUN,
                       description="Run every cell of a study config that is not yet stored in the results "
                                   "directory, with a progress bar. Exit code 2 if the config does not "
                                   "validate or --out holds another config's results.")
    p.add_argument("config", metavar="CONFIG", help="a study config (.toml) or the name of a bundled one")
    p.add_argument("--out", metavar="DIR", help="results directory (default: results/<study name>)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N", help="cells run at once (default 1; -1 all cores)")
    p.add_argument("--backend", choices=["loky", "dask"], default="loky", help="parallel backend (default loky)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--smoke", action="store_true", help="shrink the study to a seconds-long smoke test")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("report", help="write the HTML report of a results directory", formatter_class=fmt,
                       epilog=EPILOG_REPORT,
                       description="Draw the HTML report (index.html and PNG figures) of a study from its "
                                   "stored results only; nothing is rerun.")
    p.add_argument("results", metavar="DIR", help="results directory of `synthloop run`")
    p.add_argument("--to", metavar="REPORT_DIR", help="where to write the report (default: DIR/report)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    p.set_defaults(func=_cmd_report)

    from .study._bundled import REPRODUCTIONS

    p = sub.add_parser("reproduce", help="run a bundled paper reproduction or study and its report",
                       formatter_class=fmt, epilog=_reproduce_epilog(),
                       description="Run a study bundled with synthloop (the configs of experiments/) and "
                                   "write its report (the table below gives both directories).")
    p.add_argument("name", choices=sorted(REPRODUCTIONS), metavar="NAME",
                   help="one of: " + ", ".join(sorted(REPRODUCTIONS)))
    p.add_argument("--out", metavar="DIR", help="results directory (default: results/<study>)")
    p.add_argument("--report-dir", metavar="DIR", help="report directory (default: the table's; -smoke appended "
                                                       "with --smoke)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N", help="cells run at once (default 1; -1 all cores)")
    p.add_argument("--smoke", action="store_true", help="shrink the study to a seconds-long smoke test")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    p.set_defaults(func=_cmd_reproduce)

    from .datasets import BUNDLED
    from .generators import GENERATORS

    p = sub.add_parser("synthesize", help="train a generator recursively on a table and sample from it",
                       formatter_class=fmt, epilog=EPILOG_SYNTHESIZE,
                       description="Fit a generator on DATA, retrain it for --generations generations on its "
                                   "own samples, and write --rows rows of the last generation.")
    p.add_argument("data", metavar="DATA", help=f"a .csv or .parquet table, or a bundled dataset ({', '.join(BUNDLED)})")
    p.add_argument("--generator", choices=list(GENERATORS), default="copula", help="the model (default copula)")
    p.add_argument("--schedule", default="constant", help="rows per generation, e.g. constant, linear, "
                                                          "polynomial:1.5 (default constant)")
    p.add_argument("--pool", default="replace", help=f"one of {', '.join(POOLS)}, or name:value such as "
                                                     "augment:0.5 (default replace)")
    p.add_argument("--generations", type=int, default=10, metavar="T", help="synthetic generations (default 10)")
    p.add_argument("--rows", type=int, default=None, help="rows to write (default: as many as DATA)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output .csv or .parquet")
    p.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    p.set_defaults(func=_cmd_synthesize)

    from .advise._cli import add_advise_parser  # `synthloop advise`: options live beside the advisor

    add_advise_parser(sub)
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
