"""Figures of utility, collapse and marginals (matplotlib, the optional ``plot`` extra)."""

import math
import re

import numpy as np
import pandas as pd

from ._collapse import COLLISION, LEVELS, VAR_RATIO
from ._checks import check_frame, check_same_columns, column_kind, numeric_values
from ._intervals import mean_interval
from ._metrics import score_range

__all__ = ["plot_utility", "plot_collapse", "plot_marginals"]

#: The panels plot_collapse draws by default: the collapse metrics of history_ and fidelity_report but l1.
COLLAPSE_STATS = (VAR_RATIO, LEVELS, COLLISION)
_BRACKET = re.compile(r"^(\w+)\[(.+)\]$")


def _pyplot(owner):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{owner} needs matplotlib, which is not installed. Install the plot extra: "
            "`pip install \"synthloop[plot]\"` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _grid(plt, n, *, width=4.2, height=3.2, max_cols=3):
    ncols = min(n, max_cols)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False,
                             layout="constrained")
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _band(values, confidence, bounds):
    """Mean and interval ends of a band; a zero-width band with fewer than two values."""
    iv = mean_interval(values, confidence=confidence, bounds=bounds)
    if iv.n < 2:
        return iv.mean, iv.mean, iv.mean
    return iv.mean, iv.low, iv.high


def plot_utility(report, *, metrics=None, estimators=None, confidence=0.95):
    """Score per generation: synthetic-trained lines against the real-only band.

    Parameters
    ----------
    report : UtilityReport
        From :meth:`UtilityEvaluator.evaluate` or ``evaluate_frames``.
    metrics, estimators : list of str, default=None
        Subsets to draw (all by default). One panel per metric.
    confidence : float, default=0.95
        Level of the Student-t intervals over repeats: shaded around the
        synthetic lines, and the real-only band (dashed line at its mean).
        Intervals and the y-axis are clipped to the metric's range (``[0, 1]``
        for ROC AUC or accuracy), as the y-label says: with few repeats a
        t-interval would run past it.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from synthloop import UtilityEvaluator
    >>> from synthloop.evaluation import plot_utility
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=200)}).assign(y=lambda d: (d.x > 0).astype(int))
    >>> ev = UtilityEvaluator("y", estimators={"logit": LogisticRegression()}, n_repeats=2,
    ...                       fidelity=False, random_state=0)
    >>> report = ev.evaluate_frames(X[:150], X[150:], {"copy": X[:150]})
    >>> fig = plot_utility(report, metrics=["accuracy"])
    >>> [ax.get_title() for ax in fig.axes]
    ['accuracy']
    """
    plt = _pyplot("plot_utility")
    scores = report.scores
    metrics = list(report.metrics) if metrics is None else list(metrics)
    estimators = list(report.estimators) if estimators is None else list(estimators)
    unknown = sorted(set(metrics) - set(report.metrics)) + sorted(set(estimators) - set(report.estimators))
    if unknown:
        raise ValueError(
            f"plot_utility: {unknown} not in the report, whose metrics are {report.metrics} and estimators "
            f"{report.estimators}."
        )
    syn = scores[scores["train_on"] == "synthetic"]
    gens = list(pd.unique(syn["generation"].dropna()))
    numeric_x = all(isinstance(g, (int, np.integer)) for g in gens)
    xs = np.asarray(gens, dtype=float) if numeric_x else np.arange(len(gens), dtype=float)
    lo, hi = (xs.min() - 0.3, xs.max() + 0.3) if len(xs) else (-0.5, 0.5)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = _grid(plt, len(metrics))
    for ax, metric in zip(axes, metrics):
        bounds = score_range(metric)
        for k, est in enumerate(estimators):
            color = colors[k % len(colors)]
            real = scores[(scores["train_on"] == "real") & (scores["estimator"] == est) & (scores["metric"] == metric)]
            m, a, b = _band(real["score"], confidence, bounds)
            ax.fill_between([lo, hi], [a, a], [b, b], color=color, alpha=0.15, linewidth=0)
            ax.hlines(m, lo, hi, colors=color, linestyles="--", linewidth=1.2, label=f"{est}: real only")
            cells = [syn[(syn["generation"] == g) & (syn["estimator"] == est) & (syn["metric"] == metric)]
                     for g in gens]
            stats_ = np.array([_band(c["score"], confidence, bounds) for c in cells]).reshape(-1, 3)
            ax.plot(xs, stats_[:, 0], marker="o", color=color, linewidth=1.6, label=f"{est}: synthetic")
            ax.fill_between(xs, stats_[:, 1], stats_[:, 2], color=color, alpha=0.25, linewidth=0)
        ax.set_title(metric)
        ax.set_xlabel("generation")
        band = f"band: {confidence:.0%} t-interval over repeats"
        if np.isfinite(bounds).any():
            band += f", clipped to [{bounds[0]:g}, {bounds[1]:g}]"
            y0, y1 = ax.get_ylim()
            ax.set_ylim(max(y0, bounds[0]), min(y1, bounds[1]))
        ax.set_ylabel(f"score on real test rows\n({band})", fontsize="small")
        ax.set_xlim(lo, hi)
        if not numeric_x:
            ax.set_xticks(xs, [str(g) for g in gens], rotation=30 if len(gens) > 4 else 0)
        elif len(xs):
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    return fig


def _wide_history(history):
    if not isinstance(history, pd.DataFrame):
        raise TypeError(
            "plot_collapse expects a DataFrame with a 'generation' column (RecursiveSynthesizer.history_, "
            f"UtilityReport.fidelity or your own); got {type(history).__name__}."
        )
    if "generation" not in history.columns:
        raise ValueError(
            f"plot_collapse needs a 'generation' column; got columns {list(history.columns)}."
        )
    bracketed = [c for c in history.columns if isinstance(c, str) and _BRACKET.match(c)]
    if bracketed:
        # RecursiveSynthesizer.history_: one "stat[column]" column per statistic and table column.
        keys = [c for c in ("repeat", "replication", "generation") if c in history.columns]
        long = history[keys + bracketed].melt(id_vars=keys, var_name="name", value_name="value")
        parts = long["name"].str.extract(_BRACKET)
        long = long.assign(metric=parts[0], column=parts[1])
        history = long.drop(columns="name")
    if {"metric", "value"} <= set(history.columns):
        # A tidy frame (e.g. UtilityReport.fidelity): one column per metric.
        keys = [c for c in ("repeat", "replication", "generation", "column") if c in history.columns]
        tidy = history[history["metric"].isin(COLLAPSE_STATS)] if history["metric"].isin(COLLAPSE_STATS).any() \
            else history
        if "column" in tidy.columns:
            tidy = tidy[tidy["column"].notna()]
        wide = tidy.pivot_table(index=keys, columns="metric", values="value", aggfunc="mean").reset_index()
        wide.columns.name = None
        return wide
    return history


def plot_collapse(history, stats=None):
    """Collapse statistics per generation: ``var_ratio``, ``levels``, ``collision`` (and any others named).

    Parameters
    ----------
    history : DataFrame
        A ``generation`` column and statistics, in one of three layouts:

        - :attr:`RecursiveSynthesizer.history_`: ``stat[column]`` columns
          (``var_ratio[x]``, ``levels[c]``, ``collision[c]``);
        - a tidy frame with ``metric`` and ``value`` columns, such as
          ``UtilityReport.fidelity`` (its column-level rows);
        - plain wide statistic columns.

        With a ``column`` column (or ``stat[column]`` names), one line per
        table column; rows repeated per ``repeat`` or ``replication`` are
        averaged, with their range shaded.
    stats : list of str, default=None
        The statistic columns to draw, one panel each. ``None``: those of
        the collapse metrics ``var_ratio``, ``levels``, ``collision``
        present (the names of ``history_`` and :func:`fidelity_report`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from synthloop.evaluation import plot_collapse
    >>> history = pd.DataFrame({"generation": [0, 1, 2, 3], "var_ratio": [1.0, 0.8, 0.5, 0.3]})
    >>> fig = plot_collapse(history)
    >>> fig.axes[0].get_title()
    'var_ratio'
    """
    plt = _pyplot("plot_collapse")
    wide = _wide_history(history)
    if stats is None:
        stats = [s for s in COLLAPSE_STATS if s in wide.columns]
        if not stats:
            raise ValueError(
                f"plot_collapse found none of {list(COLLAPSE_STATS)} in the history; its columns are "
                f"{list(wide.columns)}. Name the ones to draw with stats=[...]."
            )
    else:
        stats = [stats] if isinstance(stats, str) else list(stats)
        missing = [s for s in stats if s not in wide.columns]
        if missing:
            raise ValueError(f"plot_collapse: stats {missing} are not columns of the history {list(wide.columns)}.")
    fig, axes = _grid(plt, len(stats))
    groups = [(None, wide)] if "column" not in wide.columns else list(wide.groupby("column", sort=False))
    for ax, stat in zip(axes, stats):
        for label, part in groups:
            part = part[["generation", stat]].dropna()
            if part.empty:
                continue
            agg = part.groupby("generation")[stat].agg(["mean", "min", "max"]).sort_index()
            x = agg.index.to_numpy(dtype=float)
            line, = ax.plot(x, agg["mean"], marker="o", markersize=3, linewidth=1.4,
                            label=str(label) if label is not None else None)
            if (agg["max"] > agg["min"]).any():
                ax.fill_between(x, agg["min"], agg["max"], color=line.get_color(), alpha=0.15, linewidth=0)
        if stat == VAR_RATIO:
            ax.axhline(1.0, color="grey", linestyle=":", linewidth=1)
        if stat in (LEVELS, "levels_lost"):
            ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(stat)
        ax.set_xlabel("generation")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        if groups[0][0] is not None and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="x-small", ncols=2 if len(groups) > 6 else 1)
    return fig


def plot_marginals(real, synthetic, columns=None, *, bins=30, max_levels=15):
    """Real and synthetic marginal distributions, one panel per column.

    Parameters
    ----------
    real : DataFrame
    synthetic : DataFrame or dict of str -> DataFrame
        One table or several by name (e.g. generations).
    columns : list of str, default=None
        Columns to draw (all by default).
    bins : int, default=30
        Histogram bins of numeric columns (shared by all tables).
    max_levels : int, default=15
        Categorical columns show their most frequent real levels; the rest
        are pooled as ``(other)``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from synthloop.evaluation import plot_marginals
    >>> rng = np.random.default_rng(0)
    >>> real = pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(["a", "b"], 100)})
    >>> fig = plot_marginals(real, {"generation 5": real.assign(x=real.x / 2)})
    >>> [ax.get_title() for ax in fig.axes]
    ['x', 'c']
    """
    plt = _pyplot("plot_marginals")
    check_frame(real, owner="plot_marginals", what="real")
    tables = {"synthetic": synthetic} if isinstance(synthetic, pd.DataFrame) else dict(synthetic)
    columns = list(real.columns) if columns is None else ([columns] if isinstance(columns, str) else list(columns))
    missing = [c for c in columns if c not in real.columns]
    if missing:
        raise ValueError(f"plot_marginals: columns {missing} are not in the real table {list(real.columns)}.")
    tables = {name: check_same_columns(real, t, owner="plot_marginals", name=name) for name, t in tables.items()}
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = _grid(plt, len(columns))
    for ax, col in zip(axes, columns):
        if column_kind(real[col]) == "categorical":
            p = real[col].dropna().astype(object).value_counts(normalize=True)
            levels = list(p.index[:max_levels])
            width = 0.8 / (1 + len(tables))
            for k, (name, frame) in enumerate([("real", real), *tables.items()]):
                q = frame[col].dropna().astype(object).value_counts(normalize=True)
                heights = [q.get(level, 0.0) for level in levels]
                labels = [str(v) for v in levels]
                if len(p) > max_levels:
                    heights.append(1.0 - sum(heights))
                    labels.append("(other)")
                x = np.arange(len(heights)) + (k - len(tables) / 2) * width
                ax.bar(x, heights, width=width, label=name, color="0.55" if k == 0 else colors[(k - 1) % len(colors)])
            ax.set_xticks(np.arange(len(labels)), labels, rotation=45 if len(labels) > 4 else 0, ha="right"
                          if len(labels) > 4 else "center", fontsize="small")
            ax.set_ylabel("proportion")
        else:
            r = numeric_values(real[col])
            all_values = [r] + [numeric_values(t[col]) for t in tables.values()]
            finite = np.concatenate([v for v in all_values if v.size])
            edges = np.histogram_bin_edges(finite, bins=bins) if finite.size else np.linspace(0, 1, bins + 1)
            ax.hist(r, bins=edges, density=True, color="0.75", label="real")
            for k, (name, v) in enumerate(zip(tables, all_values[1:])):
                if v.size:
                    ax.hist(v, bins=edges, density=True, histtype="step", linewidth=1.6,
                            color=colors[k % len(colors)], label=name)
            ax.set_ylabel("density")
        ax.set_title(str(col))
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize="small")
    return fig
