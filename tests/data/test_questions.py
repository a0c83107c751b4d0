"""Survey measures named by their question (``data/questions.py``).

Headers as the survey tools write them: 问卷星 (wjx.cn) ``3、您对本店的总体满意度：`` with its
type tags (``[NPS量表题]``), Google Forms' and SurveyMonkey's question sentences.
"""

from __future__ import annotations

import pytest

from loyalscope.data import mapping
from loyalscope.data.questions import (
    is_question,
    match_questions,
    measure_of,
    question_text,
    stated_scale,
)
from loyalscope.errors import SchemaError


@pytest.mark.parametrize(("header", "measure"), [
    ("4、您向朋友或同事推荐本店的可能性有多大？", "nps"),
    ("5、您向朋友推荐本店的可能性有多大？[NPS量表题]", "nps"),
    ("Q2. How likely are you to recommend Acme to a friend or colleague?", "nps"),
    ("On a scale of 0-10, would you recommend us?", "nps"),
    ("您是否愿意向朋友推荐本店？", "recommend_intent"),
    ("Would you recommend us to a friend?", "recommend_intent"),
    ("5、您还会再次在本店购买吗？", "repurchase_intent"),
    ("6、您以后会继续选择我们的产品吗？", "repurchase_intent"),
    ("Would you buy from us again?", "repurchase_intent"),
    ("3、您对本店的总体满意度：", "csat"),
    ("Overall, how satisfied are you with our service?", "csat"),
    ("7、您对本店有什么建议？", "comment"),
    ("Any other comments?", "comment"),
    # not measures: the reasons behind a score, facts about the respondent, non-questions
    ("8、您不满意的原因是什么？", None), ("What is the main reason for your score?", None),
    ("1、您的性别：", None), ("满意度", None), ("Country", None), ("来自IP", None),
    # a survey tool's header of several rows combined: a matrix row is its question's measure,
    # the text written beside a choice is none
    ("How likely are you to do each of the following? - Buy from Acme again", "repurchase_intent"),
    ("Overall, how satisfied are you with Acme? - Other (please specify)", None),
    ("Overall, how satisfied are you with Acme? - Other - Text", None),
    ("Overall, how satisfied are you with Acme? - Selected Choice", "csat"),
    ("Do you have any other comments, questions, or concerns? - Open-Ended Response", "comment"),
])
def test_the_measure_a_question_asks_for(header: str, measure: str | None) -> None:
    assert measure_of(header) == measure


def test_the_question_without_its_number_tag_and_punctuation() -> None:
    assert question_text("3、您对本店的总体满意度：[单选题]") == "您对本店的总体满意度"
    assert question_text("Q12. Any other comments? *") == "Any other comments"
    assert is_question("12、性别") and not is_question("2024.01") and not is_question("金额")


def test_of_several_satisfaction_questions_the_overall_one_is_csat() -> None:
    headers = ["2、您对商品质量满意吗？", "3、您对物流速度满意吗？", "4、总体来说，您对本店满意吗？"]
    assert match_questions(headers, ["csat"]) == {"csat": headers[2]}
    assert match_questions(headers[:2], ["csat"]) == {}


def test_questions_map_a_questionnaire_export_to_surveys() -> None:
    wjx = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您的性别：",
           "2、您对本店的总体满意度：", "3、您向朋友或同事推荐本店的可能性有多大？", "4、您对本店有什么建议？"]
    table, found = mapping.infer_table(wjx) or (None, {})
    assert table == "surveys"
    assert found == {"response_id": "序号", "answered_ts": "提交答卷时间", "csat": wjx[7],
                     "nps": wjx[8], "comment": wjx[9]}
    forms = ["Timestamp", "How likely are you to recommend Acme to a friend or colleague?",
             "Overall, how satisfied are you with Acme?", "Any other comments?"]
    assert mapping.infer_table(forms) == ("surveys", {"answered_ts": "Timestamp", "nps": forms[1],
                                                      "csat": forms[2], "comment": forms[3]})


def test_an_alias_wins_over_a_question() -> None:
    got = mapping.resolve("surveys", ["答卷编号", "客户编号", "提交时间", "满意度", "2、您对物流满意吗？"])
    assert got["csat"] == "满意度"


def test_unclear_questions_name_the_candidates_and_the_fix() -> None:
    headers = ["序号", "提交答卷时间", "1、您对商品质量满意吗？", "2、您对物流速度满意吗？"]
    with pytest.raises(SchemaError) as info:
        mapping.resolve("surveys", headers, file="满意度调查.csv")
    assert info.value.column == "csat" and "2、您对物流速度满意吗？" in info.value.message
    assert 'csat = "1、您对商品质量满意吗？"' in (info.value.fix or "")


@pytest.mark.parametrize(("headers", "expect"), [
    # a rating question is satisfaction only where no question names satisfaction itself
    (["Timestamp", "On a scale of 0-10, how would you rate Sudzilla?", "...why?"],
     {"csat": "On a scale of 0-10, how would you rate Sudzilla?"}),
    (["How satisfied are you with our service?", "How would you rate our delivery?"],
     {"csat": "How satisfied are you with our service?"}),
    (["3、请为本店的服务打分（0-10分）", "4、您对本店有什么建议？"],
     {"csat": "3、请为本店的服务打分（0-10分）", "comment": "4、您对本店有什么建议？"}),
    # the reason behind a rating, and a recommendation score, are not satisfaction ratings
    (["Why did you rate us so?", "How likely are you to recommend us (0-10)?"],
     {"nps": "How likely are you to recommend us (0-10)?"}),
    # the free text beside a rating's "other" choice is no second rating
    (["How would you rate our app?", "How would you rate our app? - Other (please specify)"],
     {"csat": "How would you rate our app?"}),
    # several ratings and none about the whole: none is taken
    (["How would you rate the food?", "How would you rate the venue?"], {}),
])
def test_a_rating_question_is_the_satisfaction_rating_when_none_names_satisfaction(
        headers: list[str], expect: dict[str, str]) -> None:
    assert match_questions(headers, ["nps", "csat", "comment"]) == expect


@pytest.mark.parametrize(("header", "scale"), [
    ("On a scale of 0-10, how would you rate Sudzilla?", "0-10"),
    ("请为本店的服务打分（1-5分）", "1-5"),
    ("您向朋友推荐本店的可能性有多大？（0 到 10）", "0-10"),
    ("Rate us from 1 to 7", "1-7"),
    ("How would you rate the food?", None),
    ("Rate 1-5 and then 0-10?", None),  # two scales: neither is said
    ("Order 2024-10-05", None),
])
def test_the_scale_a_question_states(header: str, scale: str | None) -> None:
    assert stated_scale(header) == scale
