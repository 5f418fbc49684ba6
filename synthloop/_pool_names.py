"""The pool names: the one tuple every module that names a pool reads (docs/architecture.rst).

It sits at the bottom layer, below :mod:`synthloop.pools` (which maps each name to its class),
so that the simulators and the advisor, which may not import the pool classes' module for a
name, read the same words. A module that supports only some pools derives its subset from
:data:`POOLS` with :func:`pool_subset`, so a misspelt or dropped name fails on import.
"""

#: Every pool string :func:`synthloop.pools.check_pool` accepts (before an optional ``:value``).
POOLS = ("replace", "augment", "fresh", "accumulate", "accumulate-subsample", "window", "random")


def pool_subset(*names):
    """``names`` as a tuple in the order of :data:`POOLS`; ValueError for a name that is not a pool.

    >>> pool_subset("augment", "replace")
    ('replace', 'augment')
    """
    unknown = [n for n in names if n not in POOLS]
    if unknown:
        raise ValueError(f"pool_subset: {unknown} are not pools; the pools are {list(POOLS)}.")
    return tuple(p for p in POOLS if p in names)
