"""Survey measures named by their question: a questionnaire export's columns are its questions.

A survey tool writes each question as a column header: 问卷星 (wjx.cn), the survey tool of most
Chinese companies, exports ``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP, 1、您的性别：,
2、您对本店的总体满意度：, 3、您向朋友推荐本店的可能性有多大？ ...``; Qualtrics, SurveyMonkey and
Google Forms write the question text the same way (``How likely are you to recommend us to a
friend?``). No alias list can hold such sentences, so a header that reads as a question (a
number before it, a question mark after it, or a "you" in it) is matched to a survey measure by
the words it holds:

=====================  =====================================================================
measure                the question holds
=====================  =====================================================================
``nps``                推荐 with 可能 / 几分 / 0-10 / 打分; recommend with likely / 0-10
``recommend_intent``   推荐 with 愿意 / 会; would you recommend
``repurchase_intent``  再次购买, 再次光顾, 继续购买, 回购, 复购 ...; buy again, purchase again
``csat``               满意 (not its reasons); satisf
``comment``            建议, 意见; suggestion, comment, feedback
=====================  =====================================================================

A question that asks for a rating without naming satisfaction (评分, 打分, 给…打几分; how would
you rate, your rating: Google Forms' ``On a scale of 0-10, how would you rate Sudzilla?``) is a
satisfaction rating too (:data:`RATING`), considered only when no question names satisfaction.
The first measure of the table that fits wins. The text written beside a choice is no answer
to the question: SurveyMonkey's ``<question> - Other (please specify)`` and Qualtrics'
``<question> - Other - Text`` (a header of several rows combined,
:mod:`loyalscope.data.intake.survey_header`) ask for no measure. Several questions for one measure (satisfaction
with the product, the service and overall) give it to the one about the whole (总体, 整体,
overall); without such a one, to none (each is then reported as a column not used, and
``[mapping.surveys]`` names the one meant). Questions are matched only after the regular
aliases, and never take a column another header already gives.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

_NUMBERED = re.compile(r"^\s*(?:Q|q|第)?\s*\d{1,3}\s*(?:、|\.|．|:|：|\)|）|题)\s*(?=\D)")
_TAG = re.compile(r"[\[【(（](?:单选题|多选题|填空题|量表题|矩阵量表题|矩阵单选题|NPS量表题|打分题|评分题|"
                  r"排序题|比重题|滑动条|必答题?|单选|多选)[\]】)）]")
_TRAILING = re.compile(r"[\s*＊:：?？。.]+$")
_ASKS = re.compile(r"[?？]\s*$|您|你|\byou(r)?\b", re.IGNORECASE)
_BESIDE_CHOICE = re.compile(r"\s-\s(?:other \(please specify\)|(?:[^-]*\s-\s)?text)\s*$",
                            re.IGNORECASE)
"""The free text of a choice question's "other" option, as SurveyMonkey and Qualtrics name it."""
_WHOLE = ("总体", "整体", "总的来说", "综合", "overall", "in general", "all in all")

MEASURES = ("nps", "recommend_intent", "repurchase_intent", "csat", "comment")
"""The survey columns a question can name."""

_RULES: tuple[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]], ...] = (
    # measure, any group of words that must all be present, words that rule it out
    ("nps", (("推荐", "可能"), ("推荐", "几分"), ("推荐", "0-10"), ("推荐", "0~10"), ("推荐", "打分"),
             ("recommend", "likely"), ("recommend", "0-10"), ("recommend", "0 to 10")), ()),
    ("recommend_intent", (("推荐", "愿意"), ("推荐", "会"), ("would you recommend",),
                          ("will you recommend",)), ("原因", "why", "reason")),
    ("repurchase_intent", (("再次", "购买"), ("再次", "光顾"), ("再次", "选择"), ("继续", "购买"),
                           ("继续", "选择"), ("继续", "使用"), ("还会", "购买"), ("还会", "光顾"),
                           ("回购",), ("复购",), ("再来",), ("buy", "again"), ("purchase", "again"),
                           ("shop", "again"), ("order", "again"), ("continue to buy",),
                           ("continue buying",)), ("原因", "why", "reason")),
    ("csat", (("满意",), ("satisf",)), ("原因", "不满意的", "哪些", "why", "reason", "which")),
    ("comment", (("建议",), ("意见",), ("suggestion",), ("comment",), ("feedback",)), ()),
)

RATING = "csat"
"""The measure of a question asking for a rating without naming satisfaction (:data:`_RATED`)."""
_RATED: tuple[tuple[tuple[str, ...], ...], tuple[str, ...]] = (
    (("评分",), ("打分",), ("打几分",), ("几分",), ("how would you rate",), ("how do you rate",),
     ("please rate",), ("your rating",), ("rate us",)),
    ("原因", "为什么", "why", "reason"),
)
_SCALE = re.compile(r"(?<![\d.])([01])\s*(?:-|–|—|~|～|到|至|to)\s*(5|7|10)(?![\d.])\s*(?:分|points?)?",
                    re.IGNORECASE)


def question_text(header: object) -> str:
    """The question of a header without its number, type tag and closing punctuation:
    ``3、您对本店的总体满意度：[单选题]`` -> ``您对本店的总体满意度``."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "").strip()
    text = _TAG.sub("", text)
    return _TRAILING.sub("", _NUMBERED.sub("", text)).strip()


def is_question(header: object) -> bool:
    """Whether a header reads as a question: numbered (``3、``, ``Q3.``), ending in a question
    mark, or addressing the reader (您, 你, you)."""
    text = unicodedata.normalize("NFKC", str(header)).strip()
    return bool(_NUMBERED.match(text) or _ASKS.search(text))


@functools.lru_cache(maxsize=4096)  # asked by the mapping, then by its error: once a header
def measure_of(header: object) -> str | None:
    """The survey measure a question header asks for (see the module docstring), or None."""
    if not is_question(header) or _BESIDE_CHOICE.search(str(header)):
        return None
    text = question_text(header).casefold()
    for measure, groups, never in _RULES:
        if any(all(w in text for w in group) for group in groups) and not any(w in text for w in never):
            return measure
    return None


def rated(header: object) -> bool:
    """Whether a question header asks for a rating (评分, how would you rate ...) without naming
    a measure of :data:`MEASURES` (see :data:`RATING`)."""
    if not is_question(header) or _BESIDE_CHOICE.search(str(header)) or measure_of(header) is not None:
        return False
    text = question_text(header).casefold()
    groups, never = _RATED
    return any(all(w in text for w in g) for g in groups) and not any(w in text for w in never)


def stated_scale(header: object) -> str | None:
    """The answer scale a question states (``On a scale of 0-10``, ``1-5分``, ``0 到 10``) as
    ``"low-high"``, or None."""
    found = {f"{m.group(1)}-{m.group(2)}" for m in _SCALE.finditer(unicodedata.normalize("NFKC", str(header)))}
    return found.pop() if len(found) == 1 else None


def asked_measures(headers: Iterable[str]) -> dict[str, list[str]]:
    """``measure -> headers`` asking for it: by :func:`measure_of`; a rating question
    (:func:`rated`) counts for :data:`RATING` where no question names satisfaction."""
    asked: dict[str, list[str]] = {}
    ratings: list[str] = []
    for h in headers:
        m = measure_of(h)
        if m is not None:
            asked.setdefault(m, []).append(h)
        elif rated(h):
            ratings.append(h)
    if ratings and RATING not in asked:
        asked[RATING] = ratings
    return asked


def match_questions(headers: Iterable[str], wanted: Iterable[str]) -> dict[str, str]:
    """``measure -> header`` for the measures of ``wanted`` that exactly one question asks for
    (or, among several, exactly one about the whole); see :func:`asked_measures`."""
    asked = asked_measures(headers)
    out: dict[str, str] = {}
    for measure in wanted:
        hs = asked.get(measure, [])
        if len(hs) > 1:
            hs = [h for h in hs if any(w in question_text(h).casefold() for w in _WHOLE)]
        if len(hs) == 1:
            out[measure] = hs[0]
    return out


__all__ = ["MEASURES", "RATING", "asked_measures", "is_question", "match_questions", "measure_of",
           "question_text", "rated", "stated_scale"]
