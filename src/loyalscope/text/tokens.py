"""Words of a text: Chinese by jieba's word segmentation (Sun 2012; the default dictionary and
HMM for unknown words), Latin-script languages by a regular expression (lower-cased letters,
digits dropped), both without stop words and one-character tokens."""

from __future__ import annotations

import logging
import re
import threading
from functools import cache

HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff"
"""The Han characters (CJK unified ideographs and extension A), as the characters themselves:
also a character class of the engine's regular expressions (RE2 has no ``\\u`` escape)."""
HAN = re.compile(f"[{HAN_RANGES}]+")
LATIN = re.compile(r"[^\W\d_]{2,}", re.UNICODE)

STOP_ZH = frozenset("""的 了 和 是 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 它们 这个 那个 这些 那些 自己 什么 怎么 因为 所以
但是 而且 如果 虽然 还是 已经 可以 非常 很 太 也 还 又 再 都 被 把 给 让 在 对 从 向 到 为 以 于 之 其 这 那 有 没 不 一 上 下
中 等 吧 呢 啊 哦 嗯 吗 要 会 能 好像 一直 一下 有点 比较""".split())
STOP_EN = frozenset("""a an the and or but if then so of to in on at for with by from as is are was were be been being it its
this that these those i me my we our you your he she they them their there here not no yes do does did done have has had
very too also just only than more most much many some any all can could would should will shall may might must about
into over after before again up down out off de da do das dos em um uma para com que na no os as e o é não""".split())


@cache
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def ready() -> bool:
    """Whether jieba's dictionary is loaded in this process."""
    return _jieba.cache_info().currsize > 0


def warm_up() -> threading.Thread:
    """Load jieba's dictionary in a background thread and return it (started).

    The load is about a second of work done once per process, before the first Chinese text is
    segmented; the analysis starts it when its texts hold Chinese, so that it runs beside the
    engine's queries (which leave the interpreter free) instead of in the middle of a section.
    A failure there is left to the first :func:`tokens` call, which raises it."""

    def load() -> None:
        try:
            _jieba()
        except Exception:  # not cached: the first tokens() call tries again and raises it there
            return

    thread = threading.Thread(target=load, name="loyalscope-jieba", daemon=True)
    thread.start()
    return thread


def tokens(text: str) -> list[str]:
    """The words of ``text`` (Chinese segmented with jieba, Latin words lower-cased)."""
    if not isinstance(text, str) or not text.strip():
        return []
    out: list[str] = []
    for part in re.split(f"({HAN.pattern})", text):
        if not part:
            continue
        if HAN.fullmatch(part):
            words = _jieba().lcut(part)  # type: ignore[attr-defined]
            out += [w for w in words if len(w) > 1 and w not in STOP_ZH]
        else:
            out += [w for w in (m.lower() for m in LATIN.findall(part)) if w not in STOP_EN]
    return out
