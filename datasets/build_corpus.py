"""Build the vendored King James Bible corpus, ``datasets/kjv.txt.xz``, from Debian's ``bible-kjv`` package.

The text is the output of the ``bible`` program of Debian's ``bible-kjv`` package (version 4.38,
with ``bible-kjv-text`` 4.38), verbatim: one verse per line, ``<Book><chapter>:<verse> <text>``, 31,102
lines, 4,404,412 bytes (see ``datasets/DATASHEET.md``). The program reads ``/usr/lib/bible.data``.

Usage (from the repository root)::

    apt-get install bible-kjv
    python datasets/build_corpus.py                  # runs bible -f "gen1:1-rev22:21"
    python datasets/build_corpus.py /tmp/kjv.txt     # or reads its saved output

The script checks the SHA-256 of the text before writing, and writes it xz-compressed (preset 9, extreme,
CRC64), so a rebuild either reproduces the shipped text or fails loudly. ``read_corpus`` reads it back.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import subprocess
from pathlib import Path

TEXT_SHA256 = "cd45f0c9cedab8e4439bd6486c8952c77cc8b0ecc5d1f6ae3513f2039f47229d"
N_VERSES = 31_102
OUT = Path(__file__).resolve().parent / "kjv.txt.xz"
COMMAND = ["bible", "-f", "gen1:1-rev22:21"]


def read_corpus(path=OUT):
    """The verses of the vendored corpus: ``(references, texts)``, two lists of str (``"Ge1:1"``, ``"In the ..."``)."""
    lines = lzma.decompress(Path(path).read_bytes()).decode("ascii").splitlines()
    refs, texts = zip(*(line.split(" ", 1) for line in lines))
    return list(refs), list(texts)


def build(source=None):
    raw = Path(source).read_bytes() if source else subprocess.run(COMMAND, check=True, capture_output=True).stdout
    digest = hashlib.sha256(raw).hexdigest()
    if digest != TEXT_SHA256:
        raise SystemExit(f"the text has sha256 {digest}, expected {TEXT_SHA256}: not the bible-kjv 4.38 output")
    n_lines = raw.count(b"\n")
    if n_lines != N_VERSES:
        raise SystemExit(f"expected {N_VERSES} verses, got {n_lines} lines")
    OUT.write_bytes(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME, check=lzma.CHECK_CRC64))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes; sha256 {hashlib.sha256(OUT.read_bytes()).hexdigest()})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="a saved output of `bible -f gen1:1-rev22:21` (default: run it)")
    build(parser.parse_args().source)
