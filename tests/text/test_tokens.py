"""The Chinese word segmenter loaded in the background gives the same words as loaded on first
use (a fresh interpreter each, so that neither finds it loaded already)."""

from __future__ import annotations

import json
import subprocess
import sys

TEXTS = ["退换货流程太麻烦，考虑换一家。", "客服态度差 but fast delivery", "价格偏高"]

SCRIPT = """
import json, sys
from loyalscope.text import tokens as tk
assert not tk.ready()
if sys.argv[1] == "warm":
    thread = tk.warm_up()
    thread.join(120)
    assert tk.ready() and not thread.is_alive()
print(json.dumps([tk.tokens(x) for x in json.loads(sys.argv[2])], ensure_ascii=False))
"""


def _words(mode: str) -> list[list[str]]:
    run = subprocess.run([sys.executable, "-c", SCRIPT, mode, json.dumps(TEXTS)], capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(run.stdout)


def test_words_after_a_background_load_equal_those_of_a_load_on_first_use() -> None:
    warm, cold = _words("warm"), _words("cold")
    assert warm == cold
    assert "退换货" in warm[0] or "退换" in warm[0]  # segmented words, not characters
    assert warm[1][-2:] == ["fast", "delivery"]
