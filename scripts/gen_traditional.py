"""Regenerate src/loyalscope/data/traditional.py (Traditional -> Simplified characters of the
alias tables). Needs ``pip install opencc-python-reimplemented`` (not a Loyalscope dependency).

    python scripts/gen_traditional.py > /tmp/pairs.txt   # prints the two character strings
"""

from __future__ import annotations

from pathlib import Path

from opencc import OpenCC  # type: ignore[import-not-found]

SRC = Path(__file__).resolve().parents[1] / "src" / "loyalscope" / "data"


def pairs() -> dict[str, str]:
    t2s = OpenCC("t2s")
    text = (SRC / "aliases.py").read_text(encoding="utf-8") + (SRC / "shapes" / "statuses.py").read_text(
        encoding="utf-8")
    want = {c for c in text if "\u4e00" <= c <= "\u9fff"}
    out = {}
    for cp in range(0x4E00, 0xA000):
        c = chr(cp)
        s = t2s.convert(c)
        if len(s) == 1 and s != c and s in want:
            out[c] = s
    return out


if __name__ == "__main__":
    found = pairs()
    print("".join(found))
    print("".join(found.values()))
