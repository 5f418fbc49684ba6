"""The categorical ([B]) study: both readings of Figure 1's n, on the same contexts."""

import numpy as np
import pytest

from synthloop.study import ConfigError, load_config, read_results, run_study
from synthloop.study.kinds._categorical import simplex_summary

SIMPLEX = {"name": "simplex", "kind": "categorical", "seeds": [3],
           "simplex": {"tokens": 3, "context_length": 2, "n": 20, "generations": [0, 5],
                       "allocations": ["split", "each"]}}


def test_simplex_readings_share_their_contexts(tmp_path):
    run_study(SIMPLEX, tmp_path, progress=False)
    res, _ = read_results(tmp_path)
    split, each = (res[res["allocation"] == a].sort_values(["context", "generation"]) for a in ("split", "each"))
    truth = ["true_p0", "true_p1", "true_p2"]
    np.testing.assert_array_equal(split[truth].to_numpy(), each[truth].to_numpy())
    per_context = split.groupby("context")["n_context"].first()
    assert per_context.sum() == 20 and set(per_context) == {2, 3}  # 20 samples over 9 contexts
    assert set(each["n_context"]) == {20}
    # with 2 or 3 samples per context every probability is a multiple of 1/2 or 1/3
    probs = split[["p0", "p1", "p2"]].to_numpy() * split[["n_context"]].to_numpy()
    np.testing.assert_allclose(probs, np.round(probs), atol=1e-12)
    summ = simplex_summary(res)
    assert (summ["corners"] + summ["edges"] + summ["inside"] == 9).all()


def test_split_needs_a_sample_per_context():
    cfg = {**SIMPLEX, "simplex": {**SIMPLEX["simplex"], "n": 5}}
    with pytest.raises(ConfigError, match=r"simplex\.n: 5 samples cannot be split over the 9 contexts"):
        load_config(cfg)
