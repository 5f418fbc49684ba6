"""Native thread pools (BLAS, OpenMP) where synthloop's own threads or processes are the parallelism."""

from contextlib import nullcontext

from threadpoolctl import threadpool_limits


def one_native_thread(parallel=True):
    """A context that limits BLAS and OpenMP to one thread while ``parallel`` is true.

    Where synthloop runs ``n_jobs`` threads, they are the parallelism: each
    thread's BLAS would otherwise start a thread per core, and ``n_jobs`` such
    threads oversubscribe the cores (on two cores the block reduction with
    ``n_jobs=2`` was slower than with one; ``benchmarks/bench_native_threads.py``
    measures it). The limit is process-wide while the context is open, as
    scikit-learn's for its joblib workers, and restored afterwards; results do
    not depend on it.
    """
    return threadpool_limits(limits=1) if parallel else nullcontext()
