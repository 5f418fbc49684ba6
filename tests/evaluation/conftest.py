"""Shared fixtures of the evaluation tests."""

import matplotlib
import pytest
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # The histogram gradient boosting models use OpenMP; on a shared 2-core
    # machine their spinning threads slow small fits down tenfold. Module scope so
    # that module-scoped fixtures run under the limit too.
    with threadpool_limits(1):
        yield
