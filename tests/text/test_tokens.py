"""The Chinese word segmenter loaded in the background gives the same words as loaded on first
use (a fresh interpreter each, so that neither finds it loaded already)."""

from __future__ import annotations

import functools
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


SENTENCE = "快递太慢了，客服态度很差，包装破损，价格比竞争对手贵，会员积分不好用。售后服务响应及时"


@functools.cache
def _reference() -> object:
    import jieba

    reference = jieba.Tokenizer()
    reference.initialize()  # jieba's own way: its dictionary or its /tmp cache
    return reference


def _fresh() -> tuple[object, object]:
    import jieba

    return jieba.Tokenizer(), _reference()


def test_the_dictionary_is_built_once_then_read_from_the_private_cache(tmp_path, monkeypatch) -> None:
    import stat

    from loyalscope.text.tokens import load_dictionary

    monkeypatch.setenv("LOYALSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    first, reference = _fresh()
    assert load_dictionary(first) == "dictionary"
    files = list((tmp_path / "cache").glob("jieba-*.marshal"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    second, _ = _fresh()
    assert load_dictionary(second) == "cache"
    for tok in (first, second):
        assert tok.FREQ == reference.FREQ and tok.total == reference.total  # type: ignore[attr-defined]
        assert tok.lcut(SENTENCE) == reference.lcut(SENTENCE)  # type: ignore[attr-defined]


def test_a_cache_file_others_can_write_or_that_is_damaged_is_not_used(tmp_path, monkeypatch) -> None:
    from loyalscope.text.tokens import load_dictionary

    folder = tmp_path / "cache"
    monkeypatch.setenv("LOYALSCOPE_CACHE_DIR", str(folder))
    load_dictionary(_fresh()[0])
    path = next(folder.glob("jieba-*.marshal"))
    import marshal

    path.write_bytes(marshal.dumps(({"快递": 10**9}, 1)))  # planted: one word, absurd frequency
    path.chmod(0o666)
    planted, reference = _fresh()
    assert load_dictionary(planted) == "dictionary"  # not read: others can write it
    assert planted.FREQ == reference.FREQ  # type: ignore[attr-defined]
    path.write_bytes(b"\x00not marshal")  # now owned and private again (rewritten, 0600), but damaged
    path.chmod(0o600)
    damaged, _ = _fresh()
    assert load_dictionary(damaged) == "dictionary"
    assert damaged.lcut(SENTENCE) == reference.lcut(SENTENCE)  # type: ignore[attr-defined]
    assert load_dictionary(_fresh()[0]) == "cache"  # the rebuild wrote a good file back


def test_with_the_cache_off_nothing_is_written(tmp_path, monkeypatch) -> None:
    from loyalscope.text.tokens import load_dictionary

    monkeypatch.setenv("LOYALSCOPE_CACHE_DIR", "off")
    monkeypatch.chdir(tmp_path)
    tok, reference = _fresh()
    assert load_dictionary(tok) == "dictionary"
    assert tok.FREQ == reference.FREQ and list(tmp_path.iterdir()) == []  # type: ignore[attr-defined]


def test_two_threads_loading_at_once_load_it_once(tmp_path, monkeypatch) -> None:
    import threading

    from loyalscope.text.tokens import load_dictionary

    monkeypatch.setenv("LOYALSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    tok, reference = _fresh()
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(load_dictionary(tok))) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["dictionary", "ready"]  # the second waited for the first
    assert tok.lcut(SENTENCE) == reference.lcut(SENTENCE)  # type: ignore[attr-defined]
