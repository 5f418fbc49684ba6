"""Native thread pools (BLAS, OpenMP) where synthloop's own threads or processes are the parallelism."""

from contextlib import nullcontext

from threadpoolctl import threadpool_limits


def one_native_thread(parallel=True):
    """A context that limits BLAS and OpenMP to one thread while ``parallel`` is true (threadpoolctl).

    Where synthloop runs ``n_jobs`` threads or processes, they are the
    parallelism: BLAS would otherwise start a thread per core in each of
    them and oversubscribe the cores (on two cores the block reduction with
    ``n_jobs=2`` was slower than with one; ``benchmarks/bench_native_threads.py``
    measures it). BLAS's limit is process-wide while the context is open, as
    scikit-learn's for its joblib workers; OpenMP's holds in the thread that
    opens the context (OpenMP keeps its setting per thread), so a task that
    runs OpenMP code (HistGradientBoosting) opens the context itself. Both are
    restored afterwards; results do not depend on them.
    """
    return threadpool_limits(limits=1) if parallel else nullcontext()
