"""Text as a table of next-token rows: the n-gram form of [B]'s next-token model (docs/theory.rst).

One row per token: its ``context_length`` previous tokens and itself, so that
``CategoricalGenerator(structure="chain", context_length=k)`` fits exactly the empirical next-token
distribution of each context (its last column given the ``k`` before it) and, before it, the empirical
distribution of the contexts.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..theory._validation import check_integer

__all__ = ["ngram_table", "tokenize", "START", "END"]

#: The padding before a text's first token (so it has a context) and the token after its last.
START, END = "<s>", "</s>"
TOKENS = ("words", "characters")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def tokenize(text, tokens="words"):
    """The tokens of one text: lowercase words (letters, inner apostrophes), or its characters, lowercased.

    Examples
    --------
    >>> from synthloop.datasets import tokenize
    >>> tokenize("In the beginning God created the heaven, and the earth's.")
    ['in', 'the', 'beginning', 'god', 'created', 'the', 'heaven', 'and', 'the', "earth's"]
    >>> tokenize("Let", tokens="characters")
    ['l', 'e', 't']
    """
    if tokens not in TOKENS:
        raise ValueError(f"tokenize: tokens must be one of {list(TOKENS)}; got {tokens!r}.")
    text = text.lower()
    return _WORD.findall(text) if tokens == "words" else list(text)


def ngram_table(texts, *, context_length=1, tokens="words", categories=None):
    """One row per token of ``texts``: the ``context_length`` tokens before it and the token itself.

    Each text (a verse, a sentence) is tokenised by :func:`tokenize`, padded with ``context_length``
    ``START`` tokens before and one ``END`` token after, and cut into its ``k + 1``-grams; so
    a text of ``L`` tokens gives ``L + 1`` rows.

    Parameters
    ----------
    texts : list of str
    context_length : int >= 1, default=1
        ``k``, the tokens a next token is conditioned on.
    tokens : {"words", "characters"}, default="words"
    categories : sequence of str or None, default=None
        The vocabulary of every column (e.g. a training table's, for held-out text; its tokens not in it
        become missing values). None: the tokens of ``texts`` with the padding, sorted.

    Returns
    -------
    DataFrame
        Columns ``context_1`` (the oldest) .. ``context_k`` and ``next``, all ``category`` with the same
        categories.

    Raises
    ------
    ValueError
        A ``context_length`` that is not an int >= 1, an unknown ``tokens``, or a corpus too small for
        the context: no text has ``context_length + 1`` tokens.
    TypeError
        ``texts`` is a single string, or holds something else than strings.

    Examples
    --------
    >>> from synthloop.datasets import ngram_table
    >>> ngram_table(["And God said", "Let there be light"], context_length=2).head(3)
      context_1 context_2   next
    0       <s>       <s>    and
    1       <s>       and    god
    2       and       god   said
    """
    owner = "ngram_table"
    if isinstance(texts, str) or not all(isinstance(t, str) for t in np.atleast_1d(np.asarray(texts, dtype=object))):
        raise TypeError(f"{owner}: texts must be a list of strings (one per verse or sentence); got "
                        f"{type(texts).__name__}" + (" (wrap a single text in a list)." if isinstance(texts, str)
                                                     else " holding other objects."))
    k = check_integer(context_length, "context_length", 1, owner)
    split = [tokenize(t, tokens) for t in texts]
    longest = max((len(t) for t in split), default=0)
    if longest < k + 1:
        raise ValueError(f"{owner}: the corpus is too small for context_length={k}: its longest text has {longest} "
                         f"{tokens[:-1]} tokens, and a {k + 1}-gram needs {k + 1}. Give more text or a shorter context.")
    columns = [[] for _ in range(k + 1)]
    for toks in split:
        padded = [START] * k + toks + [END]
        for j in range(k + 1):
            columns[j].extend(padded[j: len(padded) - k + j])
    names = [f"context_{j + 1}" for j in range(k)] + ["next"]
    if categories is None:
        categories = sorted(set().union(*map(set, columns)))
    dtype = pd.CategoricalDtype(list(categories))
    index = pd.Index(dtype.categories)
    # a token outside the vocabulary has code -1: a missing value
    return pd.DataFrame({name: pd.Categorical.from_codes(index.get_indexer(col), dtype=dtype)
                         for name, col in zip(names, columns)})
