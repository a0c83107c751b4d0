"""Complaint texts and survey comments of the simulated company (Chinese, as its CRM would hold).

Texts are drawn from phrase banks by topic, so the text analysis has known themes to find: a
complaint's topic follows its category (and severity adds an escalation phrase), a comment's
topic follows the respondent's CSAT (low scores complain about after-sales, delivery and price;
high scores praise quality and service). About a third of respondents leave no comment.
A separate random stream keeps every other simulated table unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPLAINT_PHRASES = {
    "product": ["产品质量有问题，用了几天就坏了", "收到的商品有划痕，包装破损", "质量和描述不符，材质很差"],
    "delivery": ["快递太慢，等了一个多星期", "物流信息一直不更新，配送延迟", "送货员态度差，包裹被扔在门口"],
    "service": ["客服电话一直打不通，没人处理", "客服回复很慢，问题推来推去", "售后服务态度差，退换货流程太麻烦"],
    "billing": ["扣款金额不对，多收了钱", "发票开错了，退款迟迟不到账", "优惠券没有抵扣，价格和页面不一致"],
}
ESCALATION = ["，要求尽快处理", "，非常失望，考虑换一家", "，已经投诉第二次了"]
LOW = ["售后服务太差，维修等了很久", "退换货流程太麻烦", "快递太慢，配送经常延迟", "价格偏贵，性价比不高",
       "客服回复很慢，问题一直没解决", "质量一般，和宣传不符"]
MID = ["整体还可以，价格有点贵", "产品还行，物流一般", "服务中规中矩", "质量不错但是配送慢"]
HIGH = ["产品质量很好，非常满意", "客服态度好，回复及时", "物流很快，包装完好", "性价比高，会继续购买",
        "服务专业，推荐给朋友", "质量稳定，一直在用"]


def complaint_texts(rng: np.random.Generator, category: pd.Series, severity: pd.Series) -> list[str]:
    """One text per complaint: a phrase of its category, an escalation for major complaints."""
    out = []
    for cat, sev in zip(category.astype(str), severity.astype(str), strict=True):
        bank = COMPLAINT_PHRASES.get(cat, COMPLAINT_PHRASES["service"])
        text = bank[rng.integers(len(bank))]
        if sev == "major":
            text += ESCALATION[rng.integers(len(ESCALATION))]
        out.append(text + "。")
    return out


def survey_comments(rng: np.random.Generator, csat: pd.Series) -> list[str | None]:
    """An optional comment per answer, its topic drawn by the CSAT score (1-5)."""
    out: list[str | None] = []
    for score in pd.to_numeric(csat, errors="coerce").fillna(3).to_numpy():
        if rng.random() < 0.35:
            out.append(None)
            continue
        bank = LOW if score <= 2 else HIGH if score >= 4 else MID
        first = bank[rng.integers(len(bank))]
        second = bank[rng.integers(len(bank))] if rng.random() < 0.4 else ""
        out.append(first + ("，" + second if second and second != first else "") + "。")
    return out
