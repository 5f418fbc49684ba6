"""The Dask client of a ``backend="dask"`` run: an address, a connected client, or a cluster in this process."""

from contextlib import contextmanager

__all__ = ["dask_client"]


@contextmanager
def dask_client(scheduler, n_threads, owner):
    """Yield a ``distributed.Client`` for ``scheduler``, closing what this call opened.

    ``scheduler`` None starts an in-process ``LocalCluster`` of one worker
    with ``n_threads`` threads (its HTTP server on a free port, not Dask's
    default 8787, which another cluster may hold); a string is the address of
    a running scheduler (``"tcp://10.0.0.5:8786"``); anything else is taken
    as a connected ``Client`` and left open.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(f"{owner}(backend='dask') needs dask and distributed: "
                          "pip install 'synthloop[dask]'") from None
    owned = []
    if scheduler is None:
        cluster = LocalCluster(n_workers=1, threads_per_worker=n_threads, processes=False,
                               dashboard_address=":0")
        client = Client(cluster)
        owned = [client, cluster]
    elif isinstance(scheduler, str):
        client = Client(scheduler)
        owned = [client]
    else:
        client = scheduler
    try:
        yield client
    finally:
        for obj in owned:
            obj.close()
