"""[B] Figure 5 on real text: an n-gram next-token model retrained on its own samples, fully or with real text.

    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/seddik2024_text/run.py            # run (~3 min)
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/seddik2024_text/run.py --report   # figure + README
    OMP_NUM_THREADS=1 PYTHONPATH=. python experiments/seddik2024_text/run.py --smoke    # seconds, to /tmp

Every (context length, loop) is one RecursiveSynthesizer run of
``CategoricalGenerator(structure="chain", context_length=k)`` on the real rows (one per token: its k
previous words and itself, :func:`synthloop.datasets.ngram_table`). Per generation ``results.csv`` holds
the drift of the next-token distributions from generation 0's (L1 and squared L2, averaged over the real
contexts with their real frequencies), the held-out real perplexity, the (k+1)-grams, contexts and words
still alive, and [B]'s expected squared L2 drift beside the measured one. ``--report`` draws
``figure.png`` and writes the README's table from ``results.csv`` only.
"""

import argparse
import hashlib
import importlib.util
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def load_config(smoke=False):
    raw = (HERE / "config.toml").read_bytes()
    cfg = tomllib.loads(raw.decode())
    over = cfg.pop("smoke")
    if smoke:
        cfg.update(over)
    return cfg, hashlib.sha256(raw).hexdigest()[:12]


def corpus(cfg):
    """``(real, held_out)`` verse texts: the first ``n_verses``, every ``holdout_every``-th held out."""
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "datasets" / "build_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, texts = module.read_corpus(ROOT / cfg["corpus"])
    texts = texts[: cfg["n_verses"]]
    every = cfg["holdout_every"]
    return [t for i, t in enumerate(texts) if i % every], [t for i, t in enumerate(texts) if i % every == 0]


# ------------------------------------------------------------------ a fitted next-token model, as arrays
class NextToken:
    """``p(next | context)`` of a fitted chain CategoricalGenerator, by integer keys of the context codes."""

    def __init__(self, generator, k, V):
        pairs, probs = generator.probabilities_["next"]
        codes = np.column_stack([pairs[c].cat.codes.to_numpy(np.int64) for c in pairs.columns])
        self.k, self.V = k, V
        self.context = _key(codes[:, :k], V)
        self.next = codes[:, k]
        self.p = probs
        self.pair = self.context * V + self.next
        order = np.argsort(self.pair)
        self.pair, self.p, self.context, self.next = self.pair[order], self.p[order], self.context[order], \
            self.next[order]
        self.contexts = np.unique(self.context)
        # an unseen context falls back to the marginal of the next token (CategoricalGenerator's rule)
        self.marginal = np.asarray(generator.marginals_["next"], dtype=float)[:V]

    def prob(self, context, nxt):
        """``p(nxt | context)`` for arrays of keys (a context key of -1, an unknown word, is unseen)."""
        pos = np.clip(np.searchsorted(self.pair, context * self.V + nxt), 0, len(self.pair) - 1)
        found = (self.pair[pos] == context * self.V + nxt) & (context >= 0) & (nxt >= 0)
        seen = np.isin(context, self.contexts)
        out = np.where(found, self.p[pos], 0.0)
        fallback = ~seen & (nxt >= 0)
        out[fallback] = self.marginal[nxt[fallback]]
        return out


def _key(codes, V):
    """One int64 per row of context codes (-1 where a code is -1: an unknown word)."""
    key = np.zeros(len(codes), dtype=np.int64)
    for j in range(codes.shape[1]):
        key = key * V + codes[:, j]
    return np.where((codes < 0).any(axis=1), -1, key)


def drift(model, reference, weights):
    """L1 and squared L2 distances of ``model``'s next-token distributions from ``reference``'s, per real context.

    ``weights`` maps each of ``reference.contexts`` to its real frequency; a context ``model`` lost is
    predicted by its marginal.
    """
    ctx = reference.contexts
    # every (context, next) pair either model has for the reference's contexts
    keep = np.isin(model.context, ctx)
    pairs = np.union1d(reference.pair, model.pair[keep])
    c, w = pairs // reference.V, pairs % reference.V
    diff = model.prob(c, w) - reference.prob(c, w)
    idx = np.searchsorted(ctx, c)
    l1 = np.bincount(idx, np.abs(diff), minlength=len(ctx))
    l2 = np.bincount(idx, diff**2, minlength=len(ctx))
    lost = ~np.isin(ctx, model.contexts)
    if lost.any():
        # the marginal's mass outside the reference's support of a lost context
        m = model.marginal
        outside = 1.0 - np.bincount(idx, np.where(lost[idx], m[w], 0.0), minlength=len(ctx))
        l1[lost] += outside[lost]
        l2[lost] += (m @ m) - np.bincount(idx, np.where(lost[idx], m[w] ** 2, 0.0), minlength=len(ctx))[lost]
    return float(weights @ l1), float(weights @ l2)


def perplexity(model, held_out, eps):
    p = model.prob(held_out["context"], held_out["next"])
    return float(np.exp(-np.mean(np.log((1 - eps) * p + eps / (model.V + 1)))))


def theory_l2(pool, T, real_counts, sigma0, n):
    """[B]'s expected squared L2 drift per context, generations ``0..T``, averaged with the real context frequencies.

    Fully synthetic ([B] Theorem 1 from generation 0's fit): ``E sigma_g - sigma_0 = (1 - sigma_0)(1 - (1 -
    1/n_c)^g)``, each context taken as its own loop of ``n_c = N_c n / N`` samples (its expected share; the
    contexts themselves drift and can be lost, which the theorem leaves out, so this is an approximation).

    Real + synthetic ([B] section 3.2's recursion, conditional on the real rows): a context's synthetic count
    ``n_t ~ Binomial(n, N_c / N)`` is drawn afresh each generation (the real rows hold the contexts' shares),
    and ``p_{t+1} - p_0 = alpha_t (p_hat - p_0)``, ``alpha_t = n_t / (N_c + n_t)``, gives exactly
    ``d_{t+1} = (1 - sigma_0) E[alpha^2 / n] + E[alpha^2 (1 - 1/n)] d_t`` (``n_t = 0`` adds nothing), the
    fixed-size formula of ``synthloop.theory.drift_l2_squared`` with the two expectations over ``n_t``.
    """
    from scipy.stats import binom

    from synthloop.theory import fully_synthetic_collision

    N = real_counts.astype(float)
    weights = N / N.sum()
    out = np.zeros(T + 1)
    if pool == "replace":
        n_c = np.maximum(1, np.rint(n * weights))
        for g in range(1, T + 1):
            out[g] = weights @ (fully_synthetic_collision(g - 1, n_c, sigma0) - sigma0)
        return out
    share, c, b = N / N.sum(), np.zeros(len(N)), np.zeros(len(N))
    mean, sd = n * share, np.sqrt(n * share * (1 - share))
    for i in range(len(N)):
        j = np.arange(max(1, int(mean[i] - 12 * sd[i] - 5)), int(mean[i] + 12 * sd[i] + 6))
        pmf, alpha = binom.pmf(j, n, share[i]), j / (N[i] + j)
        c[i], b[i] = pmf @ (alpha**2 / j), pmf @ (alpha**2 * (1 - 1 / j))
    d = np.zeros(len(N))
    for g in range(1, T + 1):
        d = (1 - sigma0) * c + b * d
        out[g] = weights @ d
    return out


# ------------------------------------------------------------------ the runs
def run(cfg, config_hash, out_dir):
    import synthloop
    from synthloop import CategoricalGenerator, RecursiveSynthesizer
    from synthloop.datasets import ngram_table

    real_texts, held_texts = corpus(cfg)
    rows = []
    for k in cfg["context_lengths"]:
        real = ngram_table(real_texts, context_length=k, tokens=cfg["tokens"])
        categories = real["next"].cat.categories
        V = len(categories)
        held = ngram_table(held_texts, context_length=k, tokens=cfg["tokens"], categories=categories)
        held_codes = np.column_stack([held[c].cat.codes.to_numpy(np.int64) for c in held.columns])
        held_out = {"context": _key(held_codes[:, :k], V), "next": held_codes[:, k]}
        real_context = _key(np.column_stack([real[c].cat.codes.to_numpy(np.int64) for c in real.columns[:k]]), V)
        for loop in cfg["loop"]:
            n = int(round(loop["synthetic"] * len(real)))
            rs = RecursiveSynthesizer(CategoricalGenerator(structure="chain", context_length=k),
                                      n_generations=cfg["n_generations"], schedule=f"constant:{n}", pool=loop["pool"],
                                      keep="all", random_state=cfg["seed"]).fit(real)
            models = [NextToken(g, k, V) for g in rs.generators_]
            reference = models[0]
            counts = pd.Series(real_context).value_counts().reindex(reference.contexts).to_numpy()
            weights = counts / counts.sum()
            sigma0 = np.bincount(np.searchsorted(reference.contexts, reference.context), reference.p**2,
                                 minlength=len(reference.contexts))
            theory = theory_l2(loop["pool"], cfg["n_generations"], counts, sigma0, n)
            for g, model in enumerate(models):
                l1, l2 = drift(model, reference, weights)
                rows.append({"context_length": k, "loop": loop["name"], "pool": loop["pool"], "n_synthetic": n,
                             "n_real": len(real), "generation": g, "l1": l1, "l2_squared": l2,
                             "l2_squared_theory": theory[g],
                             "perplexity": perplexity(model, held_out, cfg["smoothing"]),
                             "ngrams_alive": int(np.count_nonzero(model.p > 0)),
                             "contexts_alive": len(model.contexts),
                             "words_alive": int(np.count_nonzero(model.marginal > 0)),
                             "seed": int(rs.history_["seed"].iloc[g])})
            print(f"k={k} {loop['name']}: generation {cfg['n_generations']} perplexity {rows[-1]['perplexity']:.1f}")
    out = pd.DataFrame(rows)
    out["config_hash"], out["synthloop"] = config_hash, synthloop.__version__
    out.to_csv(out_dir / "results.csv", index=False)
    return out


# ------------------------------------------------------------------ from stored results only
def report(cfg, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = pd.read_csv(out_dir / "results.csv")
    panels = [("l1", "L1 drift of p(next | context), averaged over real contexts", False),
              ("l2_squared", "squared L2 drift (thin: [B]'s theory)", True),
              ("perplexity", "held-out real perplexity (smoothed)", True),
              ("ngrams_alive", "distinct (k+1)-grams alive", True)]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    styles = {k: s for k, s in zip(sorted(res["context_length"].unique()), ["-", "--", ":", "-."])}
    colors = {name: f"C{i}" for i, name in enumerate(res["loop"].unique())}
    for ax, (col, title, log) in zip(axes, panels):
        for (k, name), part in res.groupby(["context_length", "loop"], sort=False):
            if col == "l2_squared":
                part = part[part["generation"] > 0]  # 0 at generation 0, off a log scale
            ax.plot(part["generation"], part[col], styles[k], color=colors[name], label=f"{name}, k={k}")
            if col == "l2_squared":
                ax.plot(part["generation"], part["l2_squared_theory"], styles[k], color=colors[name], lw=0.7,
                        alpha=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("generation")
        if log:
            ax.set_yscale("log")
    axes[0].legend(fontsize=6)
    fig.suptitle(f"[B] Figure 5 on the King James Bible ({cfg['tokens']}; {cfg['n_verses']:,} verses, every "
                 f"{cfg['holdout_every']}th held out): n-gram next-token model retrained on its own samples",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out_dir / "figure.png", dpi=110)
    _write_readme(cfg, res, out_dir)


def _write_readme(cfg, res, out_dir):
    from synthloop.study._readme import update_readme

    readme = out_dir / "README.md"
    if not readme.exists():
        return
    T = res["generation"].max()
    lines = ["| k | loop | real rows N | synthetic n | L1 drift at T | squared L2 at T (theory) | perplexity 0 → T | "
             "(k+1)-grams 0 → T | words 0 → T |", "|---|---|---|---|---|---|---|---|---|"]
    for (k, name), part in res.groupby(["context_length", "loop"], sort=False):
        first, last = part.iloc[0], part[part["generation"] == T].iloc[0]
        lines.append(f"| {k} | {name} | {first['n_real']:,} | {first['n_synthetic']:,} | {last['l1']:.3f} | "
                     f"{last['l2_squared']:.4f} ({last['l2_squared_theory']:.4f}) | {first['perplexity']:.0f} → "
                     f"{last['perplexity']:.0f} | {first['ngrams_alive']:,} → {last['ngrams_alive']:,} | "
                     f"{first['words_alive']:,} → {last['words_alive']:,} |")
    update_readme(readme, {"results": "\n" + "\n".join(lines) + "\n"})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="figure and README table from results.csv")
    parser.add_argument("--smoke", action="store_true", help="a small run into /tmp/seddik2024_text_smoke")
    args = parser.parse_args()
    config, digest = load_config(smoke=args.smoke)
    target = Path("/tmp/seddik2024_text_smoke") if args.smoke else HERE
    target.mkdir(exist_ok=True)
    if not args.report:
        run(config, digest, target)
    if args.report or args.smoke:
        report(config, target)
