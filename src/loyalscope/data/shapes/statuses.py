"""Order statuses: which values are sales, and which are cancelled, unpaid, closed ... orders;
and the statuses of a returns / refunds export: which rows are returns.

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

A returns file may carry the refund's status (淘宝 / 天猫 退款报表: 退款状态 = 退款成功, 退款关闭,
等待卖家同意 ...). Classes: ``return`` (counted as a return: done, or requested and still open,
since a request to return is the signal of dissatisfaction) and ``not_return`` (the request was
closed, withdrawn or refused: no goods or money went back). ``[data.return_statuses]`` maps
further values; any value not listed is a return, and every value is listed in ``validate``.
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
    "returned": "refunded", "return": "refunded", "returned to seller": "refunded",
    # Amazon Seller Central's order report (Kaggle's Amazon Sales Report: "Shipped - ...")
    "shipped returned to seller": "refunded", "shipped returning to seller": "refunded",
    "shipped rejected by buyer": "refunded", "rejected by buyer": "refunded",
    "shipped lost in transit": "failed", "lost in transit": "failed",
    # 中文 (淘宝 / 天猫 / 京东 / 有赞 / 微店)
    "已取消": "cancelled", "取消": "cancelled", "订单取消": "cancelled", "交易取消": "cancelled",
    "已作废": "cancelled", "作废": "cancelled", "交易关闭": "closed", "已关闭": "closed", "关闭": "closed",
    "订单关闭": "closed", "未付款": "unpaid", "待付款": "unpaid", "等待买家付款": "unpaid",
    "等待付款": "unpaid", "待支付": "unpaid", "未支付": "unpaid", "缺货": "unavailable",
    "无货": "unavailable", "支付失败": "failed", "付款失败": "failed", "已退款": "refunded",
    "退款成功": "refunded", "全额退款": "refunded", "已退货": "refunded", "退货成功": "refunded",
}


DEFAULT_RETURN_STATUS_CLASSES: dict[str, str] = {
    # English (marketplace and shop refund exports)
    "closed": "not_return", "cancelled": "not_return", "canceled": "not_return",
    "rejected": "not_return", "declined": "not_return", "denied": "not_return",
    "withdrawn": "not_return", "void": "not_return", "voided": "not_return",
    "refund closed": "not_return", "refund rejected": "not_return", "return cancelled": "not_return",
    "refunded": "return", "completed": "return", "approved": "return", "success": "return",
    "pending": "return", "requested": "return", "processing": "return", "open": "return",
    # 中文 (淘宝 / 天猫 / 京东 / 有赞 售后)
    "退款关闭": "not_return", "退款已关闭": "not_return", "已关闭": "not_return", "关闭": "not_return",
    "售后关闭": "not_return", "退款取消": "not_return", "已取消": "not_return", "取消": "not_return",
    "已撤销": "not_return", "撤销": "not_return", "买家撤销": "not_return", "卖家拒绝退款": "not_return",
    "拒绝退款": "not_return", "已拒绝": "not_return", "审核不通过": "not_return",
    "退款成功": "return", "已退款": "return", "退货成功": "return", "售后完成": "return",
    "退款中": "return", "等待卖家同意退款": "return", "等待买家退货": "return",
    "等待卖家确认收货": "return",
    # a yes / no column of returned orders ("Returned", 是否退货)
    "yes": "return", "y": "return", "true": "return", "1": "return", "是": "return",
    "no": "not_return", "n": "not_return", "false": "not_return", "0": "not_return", "否": "not_return",
}


def status_classes(overrides: Mapping[str, str] | None = None,
                   defaults: Mapping[str, str] = DEFAULT_STATUS_CLASSES) -> dict[str, str]:
    """Normalised status value -> class: ``defaults`` (the order statuses above) updated by
    ``[data.statuses]`` (or, for a returns file, ``[data.return_statuses]``)."""
    out = {normalise_header(k): v for k, v in defaults.items()}
    out.update({normalise_header(k): v for k, v in (overrides or {}).items()})
    return out


def normalised(col: ibis.Value) -> ibis.Value:
    """The engine-side form of a status value compared with the table (lower case, no spaces,
    underscores, hyphens or dots). Full-width forms are not folded here; Chinese values need none."""
    out = col.strip().lower()
    for ch in (" ", "_", "-", ".", "/", "(", ")", "（", "）", "，", ","):
        out = out.replace(ch, "")
    return out


def classify(status: ibis.Value, overrides: Mapping[str, str] | None = None,
             defaults: Mapping[str, str] = DEFAULT_STATUS_CLASSES, other: str = "sale") -> ibis.Value:
    """``status`` -> class as an Ibis expression (null or unknown values are ``other``: a sale
    among order statuses, a return among a returns file's)."""
    table = status_classes(overrides, defaults)
    norm = normalised(status)
    cases = [(norm == key, cls) for key, cls in table.items()]
    return ibis.cases(*cases, else_=other) if cases else ibis.literal(other)


def classify_return(status: ibis.Value, overrides: Mapping[str, str] | None = None) -> ibis.Value:
    """A returns row's ``status`` -> ``return`` / ``not_return`` (null or unknown: ``return``)."""
    return classify(status, overrides, DEFAULT_RETURN_STATUS_CLASSES, "return")
