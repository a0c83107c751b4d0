"""Words of a text: Chinese by jieba's word segmentation (Sun 2012; the default dictionary and
HMM for unknown words), Latin-script languages by a regular expression (lower-cased letters,
digits dropped), both without stop words and one-character tokens."""

from __future__ import annotations

import logging
import marshal
import re
import sys
import threading
from functools import cache
from typing import Any

from loyalscope.data import sqldisk

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


_DICT_MAX_BYTES = 64 * 2**20


@cache
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    load_dictionary(jieba.dt)
    return jieba


def load_dictionary(tokenizer: Any) -> str:
    """Give a jieba ``Tokenizer`` of the default dictionary its prefix dictionary; return where
    it came from: ``"cache"``, ``"dictionary"`` (built), or ``"ready"`` (it had one).

    jieba builds the prefix dictionary (every word and word prefix with its frequency, and the
    total) from its ``dict.txt`` (about 1.2 s on a 2-core machine) or reads its own cache of it,
    a ``marshal`` file in the shared temporary folder (``/tmp/jieba.cache``), piece by piece
    (as long again). Here the prefix dictionary is built by jieba's own ``gen_pfdict`` and kept
    in Loyalscope's cache folder (:func:`loyalscope.data.sqldisk.folder`; ``off`` keeps none), read
    whole and decoded at once (0.4 s), and only when that folder and file belong to this user
    and no one else can write them: a file anyone could plant in ``/tmp`` is never read. The
    dictionary and therefore every segmentation are the same either way; a cache that cannot be
    read or decoded is rebuilt.
    """
    import jieba

    with tokenizer.lock:  # a second caller (the warm-up thread's, the first text's) waits for it
        if tokenizer.initialized:
            return "ready"
        if tokenizer.dictionary != jieba.DEFAULT_DICT:  # a user dictionary: jieba's own rules
            tokenizer.initialize()
            return "dictionary"
        where = sqldisk.folder()
        path = None if where is None else \
            where / f"jieba-{jieba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
        raw = None if path is None else sqldisk.read_private(path, _DICT_MAX_BYTES)
        if raw is not None:
            try:
                freq, total = marshal.loads(raw)
            except (ValueError, EOFError, TypeError):
                freq = total = None
            if isinstance(freq, dict) and isinstance(total, int) and freq:
                tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
                return "cache"
        freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
    if path is not None:
        sqldisk.write_private(path, marshal.dumps((freq, total)))
    return "dictionary"


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
