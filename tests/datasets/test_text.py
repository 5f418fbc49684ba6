"""ngram_table and tokenize: text as next-token rows, and their errors."""

import pytest

from synthloop import CategoricalGenerator
from synthloop.datasets import END, START, ngram_table, tokenize


def test_one_row_per_token_with_its_padded_context():
    table = ngram_table(["a b c", "d"], context_length=2)
    assert list(table.columns) == ["context_1", "context_2", "next"]
    rows = [tuple(r) for r in table.astype(str).itertuples(index=False)]
    assert rows == [(START, START, "a"), (START, "a", "b"), ("a", "b", "c"), ("b", "c", END),
                    (START, START, "d"), (START, "d", END)]
    # every column shares one vocabulary, so a chain generator conditions on the same levels
    assert all(table[c].cat.categories.equals(table["next"].cat.categories) for c in table)


def test_the_chain_generator_fits_the_empirical_next_token_distribution():
    table = ngram_table(["the cat sat", "the cat ran", "the dog sat"], context_length=1)
    gen = CategoricalGenerator(structure="chain", context_length=1).fit(table)
    pairs, probs = gen.probabilities_["next"]
    after_the = {str(w): p for (c, w), p in zip(pairs.itertuples(index=False), probs) if c == "the"}
    assert after_the == pytest.approx({"cat": 2 / 3, "dog": 1 / 3})


def test_characters_and_a_fixed_vocabulary():
    assert tokenize("Ab c", tokens="characters") == ["a", "b", " ", "c"]
    train = ngram_table(["in the beginning"], context_length=1)
    held = ngram_table(["in the end"], context_length=1, categories=train["next"].cat.categories)
    assert held["next"].cat.categories.equals(train["next"].cat.categories)
    assert held["next"].isna().sum() == 1  # "end" is not in the training vocabulary


@pytest.mark.parametrize("texts, kwargs, err, match", [
    (["and god said"], dict(context_length=3), ValueError, r"the corpus is too small for context_length=3: its "
     r"longest text has 3 word tokens, and a 4-gram needs 4"),
    ([], dict(), ValueError, "too small for context_length=1: its longest text has 0"),
    (["a b"], dict(context_length=0), ValueError, "context_length must be an integer >= 1; got 0"),
    (["a b"], dict(tokens="bytes"), ValueError, r"tokens must be one of \['words', 'characters'\]"),
    ("a b c", dict(), TypeError, r"texts must be a list of strings .* \(wrap a single text in a list\)"),
    ([1, 2], dict(), TypeError, "texts must be a list of strings"),
])
def test_bad_input_is_one_line(texts, kwargs, err, match):
    with pytest.raises(err, match=match) as info:
        ngram_table(texts, **kwargs)
    assert "\n" not in str(info.value)


def test_the_vendored_corpus_is_the_text_its_datasheet_records():
    import hashlib
    import importlib.util
    import lzma
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "datasets"
    spec = importlib.util.spec_from_file_location("build_corpus", root / "build_corpus.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    raw = lzma.decompress((root / "kjv.txt.xz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == build.TEXT_SHA256
    refs, texts = build.read_corpus()
    assert len(texts) == build.N_VERSES and refs[0] == "Ge1:1" and refs[-1] == "Rev22:21"
    assert texts[0] == "In the beginning God created the heaven and the earth."
