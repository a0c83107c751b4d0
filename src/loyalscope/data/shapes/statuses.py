"""Order statuses: which values are sales, and which are cancelled, unpaid, closed ... orders.

A status value is compared after :func:`~loyalscope.data.mapping.normalise_header` (case and
separators ignored). ``[data.statuses]`` in ``loyalscope.toml`` maps further values, or overrides
these, onto a class::

    [data.statuses]
    "已发货" = "sale"
    "on-hold" = "unpaid"

Classes: ``sale`` (counted in revenue and purchases), ``refunded`` (a sale fully refunded: a
sale plus a return of its amount), and the non-sales ``cancelled``, ``unpaid``, ``closed``,
``unavailable``, ``failed`` (counted and shown, never revenue). Any value not listed is a sale
and is listed in ``validate`` with its class, so a wrong default is visible.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from loyalscope.data.mapping import normalise_header

CLASSES = ("sale", "refunded", "cancelled", "unpaid", "closed", "unavailable", "failed")
NOT_SALES = ("cancelled", "unpaid", "closed", "unavailable", "failed")

DEFAULT_STATUS_CLASSES: dict[str, str] = {
    # English (Olist, Shopify financial status, WooCommerce, ERP)
    "canceled": "cancelled", "cancelled": "cancelled", "cancel": "cancelled", "void": "cancelled",
    "voided": "cancelled", "unavailable": "unavailable", "out of stock": "unavailable",
    "closed": "closed", "unpaid": "unpaid", "pending": "unpaid", "pending payment": "unpaid",
    "awaiting payment": "unpaid", "on hold": "unpaid", "authorized": "unpaid", "failed": "failed",
    "payment failed": "failed", "declined": "failed", "refunded": "refunded",
    "trash": "cancelled", "draft": "unpaid", "checkout draft": "unpaid",
    # 中文 (淘宝 / 天猫 / 京东 / 有赞 / 微店)
    "已取消": "cancelled", "取消": "cancelled", "订单取消": "cancelled", "交易取消": "cancelled",
    "已作废": "cancelled", "作废": "cancelled", "交易关闭": "closed", "已关闭": "closed", "关闭": "closed",
    "订单关闭": "closed", "未付款": "unpaid", "待付款": "unpaid", "等待买家付款": "unpaid",
    "等待付款": "unpaid", "待支付": "unpaid", "未支付": "unpaid", "缺货": "unavailable",
    "无货": "unavailable", "支付失败": "failed", "付款失败": "failed", "已退款": "refunded",
    "退款成功": "refunded", "全额退款": "refunded",
}


def status_classes(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Normalised status value -> class: the defaults above updated by ``[data.statuses]``."""
    out = {normalise_header(k): v for k, v in DEFAULT_STATUS_CLASSES.items()}
    out.update({normalise_header(k): v for k, v in (overrides or {}).items()})
    return out


def normalised(col: ibis.Value) -> ibis.Value:
    """The engine-side form of a status value compared with the table (lower case, no spaces,
    underscores, hyphens or dots). Full-width forms are not folded here; Chinese values need none."""
    out = col.strip().lower()
    for ch in (" ", "_", "-", ".", "/", "(", ")", "（", "）", "，", ","):
        out = out.replace(ch, "")
    return out


def classify(status: ibis.Value, overrides: Mapping[str, str] | None = None) -> ibis.Value:
    """``status`` -> class as an Ibis expression (null or unknown values are sales)."""
    table = status_classes(overrides)
    norm = normalised(status)
    cases = [(norm == key, cls) for key, cls in table.items()]
    return ibis.cases(*cases, else_="sale") if cases else ibis.literal("sale")
