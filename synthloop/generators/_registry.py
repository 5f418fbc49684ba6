"""The one table of generator names: what the command lines and study configs call each model.

A new generator is its module plus one line in :data:`GENERATORS` (and its export in
``generators/__init__.py``); see ``docs/architecture.rst``.
"""

from __future__ import annotations

__all__ = ["GENERATORS", "generator_class", "make_generator"]

#: ``name -> (class name in synthloop.generators, aliases)``. Aliases are the names study configs used
#: before there was one table; they keep working.
GENERATORS = {
    "copula": ("GaussianCopulaGenerator", ("gaussian_copula",)),
    "mvn": ("MultivariateNormalGenerator", ("multivariate_normal",)),
    "categorical": ("CategoricalGenerator", ()),
    "conditional": ("ConditionalGenerator", ()),
    "sdv": ("SDVGenerator", ()),
    "tree_chain": ("TreeChainGenerator", ("cart",)),
    "argn": ("TabularARGNGenerator", ("tabular_argn",)),
}
_BY_NAME = {alias: name for name, (_, aliases) in GENERATORS.items() for alias in (name, *aliases)}


def _describe():
    return ", ".join(f"{name!r}" + (f" (or {', '.join(map(repr, aliases))})" if aliases else "")
                     for name, (_, aliases) in GENERATORS.items())


def generator_class(name):
    """The generator class a name (or alias) of :data:`GENERATORS` stands for.

    Parameters
    ----------
    name : str

    Returns
    -------
    type

    Raises
    ------
    ValueError
        An unknown name; the message lists the known ones.

    Examples
    --------
    >>> from synthloop.generators import generator_class
    >>> generator_class("gaussian_copula").__name__
    'GaussianCopulaGenerator'
    """
    from .. import generators

    if not isinstance(name, str) or name not in _BY_NAME:
        raise ValueError(f"unknown generator {name!r}; known generators are {_describe()}")
    return getattr(generators, GENERATORS[_BY_NAME[name]][0])


def make_generator(name, **params):
    """An unfitted generator by name (or alias), with ``params``.

    Examples
    --------
    >>> from synthloop.generators import make_generator
    >>> make_generator("copula", categorical="order")
    GaussianCopulaGenerator(categorical='order')
    """
    return generator_class(name)(**params)
