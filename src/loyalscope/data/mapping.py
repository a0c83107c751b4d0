"""Header mapping: user column headers (Chinese or English, CRM exports) -> canonical columns.

Resolution order for each canonical column of a table:

1. an explicit ``[mapping.<table>] <canonical> = "<header>"`` line in ``loyalscope.toml``;
2. the CRM preset (``[data] preset = "zoho"`` / ``"fxiaoke"``, or detected from the headers):
   an ordered list, the first header present wins;
3. the canonical name itself or one of its aliases below. Two different headers matching the
   same canonical column is ambiguous and raises :class:`SchemaError`.

Headers are compared after :func:`normalise_header` (NFKC so full-width letters become ASCII,
case folded, spaces / underscores / hyphens / dots removed), so ``Customer_No``, ``customer no``
and ``ＣＵＳＴＯＭＥＲ－ＮＯ`` are one header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from loyalscope.data import schema
from loyalscope.errors import ConfigError, SchemaError
from loyalscope.i18n import t

_STRIP = re.compile(r"[\s_\-.:：/\\()（）\[\]【】]+")


def normalise_header(header: object) -> str:
    """Comparable form of a header: NFKC, case folded, separators and brackets removed."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    return _STRIP.sub("", text).casefold()


# Aliases shared by every table that has the column.
_COMMON: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "客户编号", "客户ID", "客户id", "客户号", "客户代码", "会员号", "会员编号", "会员ID", "会员卡号",
        "用户ID", "用户编号", "顾客编号", "customer id", "Customer_No", "customer number", "cust id",
        "client id", "member id", "user id", "customerid", "custid",
    ),
    "order_id": (
        "订单编号", "订单号", "订单ID", "单号", "销售单号", "order id", "order no", "order number",
        "Order_No", "orderid", "invoice no", "invoice id",
    ),
    "channel": ("渠道", "销售渠道", "来源渠道", "获客渠道", "channel", "source", "sales channel"),
    "category": ("品类", "类别", "分类", "商品类别", "投诉类别", "category", "product category"),
    "region": ("地区", "区域", "省份", "城市", "region", "area", "province", "city"),
}

_TABLE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "signup_date": ("注册时间", "注册日期", "入会日期", "开户日期", "首次购买日期", "signup date",
                        "registration date", "join date", "created at", "signup"),
        "acquisition_cost": ("获客成本", "获取成本", "acquisition cost", "cac"),
        "gender": ("性别", "gender", "sex"),
        "age": ("年龄", "age"),
        "member_tier": ("会员等级", "等级", "会员级别", "tier", "member tier", "level", "vip level"),
        "is_employee": ("是否员工", "员工", "is employee", "employee"),
        "came_from_competitor": ("来自竞争对手", "是否来自竞品", "from competitor", "came from competitor"),
        "churn_reason": ("流失原因", "churn reason", "reason for leaving"),
    },
    "transactions": {
        "order_ts": ("下单时间", "订单日期", "成交时间", "下单日期", "交易时间", "交易日期", "购买时间",
                     "购买日期", "支付时间", "order date", "order time", "Created_Time", "order ts",
                     "purchase date", "transaction date", "date"),
        "amount": ("实付金额", "订单金额", "金额", "成交金额", "交易金额", "销售额", "支付金额", "amount",
                   "Grand_Total", "total", "order amount", "sales", "revenue"),
        "product_id": ("商品编号", "商品ID", "产品编号", "产品ID", "SKU", "product id", "item id"),
        "quantity": ("数量", "购买数量", "件数", "quantity", "qty"),
        "discount": ("折扣", "折扣金额", "优惠金额", "优惠", "discount"),
        "margin": ("毛利", "毛利额", "利润", "margin", "gross margin", "profit"),
        "is_promo": ("是否促销", "促销", "is promo", "promo", "promotion"),
    },
    "returns": {
        "return_ts": ("退货时间", "退货日期", "退款时间", "退款日期", "return date", "return time",
                      "refund date", "return ts"),
        "amount": ("退款金额", "退货金额", "金额", "refund amount", "return amount", "amount"),
        "reason": ("退货原因", "退款原因", "原因", "reason", "return reason"),
    },
    "complaints": {
        "complaint_id": ("投诉编号", "投诉单号", "工单号", "工单编号", "投诉ID", "complaint id",
                         "ticket id", "ticket no", "case id"),
        "opened_ts": ("投诉时间", "投诉日期", "创建时间", "受理时间", "opened", "opened at", "open date",
                      "created time", "complaint date"),
        "closed_ts": ("结案时间", "关闭时间", "解决时间", "closed", "closed at", "close date",
                      "resolved at"),
        "severity": ("严重程度", "级别", "严重性", "severity", "priority"),
        "resolved": ("是否解决", "已解决", "解决", "resolved", "is resolved"),
    },
    "surveys": {
        "response_id": ("答卷编号", "问卷编号", "答卷ID", "序号", "response id", "respondent id",
                        "answer id"),
        "answered_ts": ("提交时间", "答题时间", "填写时间", "调查日期", "answered at", "submitted at",
                        "submit time", "response date", "survey date"),
        "nps": ("推荐意愿得分", "净推荐值", "推荐值", "nps", "nps score", "likelihood to recommend"),
        "csat": ("满意度", "总体满意度", "csat", "satisfaction"),
        "share_of_wallet": ("钱包份额", "消费占比", "share of wallet", "sow"),
        "recommend_intent": ("推荐意向", "推荐意愿", "recommend intent", "would recommend"),
        "repurchase_intent": ("复购意向", "再购意愿", "回购意愿", "repurchase intent", "would buy again"),
        "loyalty_score": ("忠诚度", "忠诚度得分", "loyalty score", "loyalty"),
        "price_sensitivity": ("价格敏感度", "price sensitivity"),
        "voluntary": ("自愿程度", "自愿性", "voluntary"),
        "alternatives": ("替代选择数", "备选品牌数", "alternatives", "number of alternatives"),
        "mention_unprompted": ("无提示提及", "未提示提及", "mention unprompted", "unaided mention"),
        "segment": ("细分", "客群", "segment"),
    },
    "referrals": {
        "referrer_id": ("推荐人", "推荐人编号", "推荐人ID", "referrer id", "referrer"),
        "referred_id": ("被推荐人", "被推荐人编号", "被推荐人ID", "referred id", "referee id", "referee"),
        "referred_ts": ("推荐时间", "推荐日期", "referred at", "referral date", "referred ts"),
        "converted": ("是否转化", "已转化", "转化", "converted", "is converted"),
    },
    "interactions": {
        "ts": ("时间", "日期", "互动时间", "活动时间", "ts", "time", "timestamp", "date"),
        "kind": ("类型", "互动类型", "活动类型", "kind", "type", "interaction type"),
        "effective": ("是否有效", "有效", "effective", "is effective"),
    },
    "contracts": {
        "start_date": ("开始日期", "合同开始日期", "生效日期", "起始日期", "start date", "start"),
        "end_date": ("结束日期", "合同结束日期", "到期日期", "终止日期", "end date", "end", "expiry date"),
        "renewed": ("是否续约", "续约", "已续约", "renewed", "is renewed"),
        "plan": ("套餐", "方案", "产品方案", "plan", "package"),
        "fee": ("费用", "合同金额", "年费", "fee", "contract value", "amount"),
    },
    "loyalty_points": {
        "ts": ("时间", "日期", "积分时间", "ts", "time", "date"),
        "points_earned": ("获得积分", "积分获得", "新增积分", "points earned", "earned"),
        "points_redeemed": ("兑换积分", "使用积分", "消耗积分", "points redeemed", "redeemed"),
    },
}

PRESETS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "zoho": {
        "transactions": {
            "order_id": ("SO_Number", "Sales_Order_Id", "Record Id", "id"),
            "customer_id": ("Account_Name", "Contact_Name"),
            "order_ts": ("Created_Time", "Due_Date"),
            "amount": ("Grand_Total", "Sub_Total"),
            "discount": ("Discount",),
        },
        "customers": {
            "customer_id": ("Account_Name", "Contact_Name", "Record Id"),
            "signup_date": ("Created_Time",),
        },
    },
    "fxiaoke": {
        "transactions": {
            "order_id": ("销售订单编号", "订单编号", "name"),
            "customer_id": ("客户名称", "account_id"),
            "order_ts": ("下单日期", "order_time", "创建时间"),
            "amount": ("销售订单金额", "order_amount"),
            "discount": ("整单折扣", "discount"),
        },
        "customers": {
            "customer_id": ("客户名称", "客户编号", "name"),
            "signup_date": ("创建时间", "create_time"),
        },
    },
}
"""CRM export presets: table -> canonical -> ordered candidate headers (first present wins)."""

_PRESET_MARKERS = {
    "zoho": ("SO_Number", "Sales_Order_Id", "Grand_Total"),
    "fxiaoke": ("销售订单编号", "销售订单金额"),
}

TABLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "transactions": ("transactions", "transaction", "orders", "order", "sales_orders", "salesorderobj",
                     "订单", "交易", "销售订单", "销售"),
    "customers": ("customers", "customer", "members", "accounts", "clients", "客户", "会员", "顾客"),
    "complaints": ("complaints", "complaint", "tickets", "投诉", "工单"),
    "returns": ("returns", "return", "refunds", "refund", "退货", "退款"),
    "surveys": ("surveys", "survey", "questionnaire", "responses", "问卷", "调查", "调研"),
    "referrals": ("referrals", "referral", "推荐", "转介绍"),
    "interactions": ("interactions", "interaction", "互动", "活动"),
    "contracts": ("contracts", "contract", "合同", "签约"),
    "loyalty_points": ("loyalty_points", "points", "积分"),
}


def aliases(table: str, column: str) -> tuple[str, ...]:
    """All header spellings recognised for ``table.column`` (the canonical name first)."""
    spec = schema.table(table)
    spec.column(column)
    own = _TABLE_ALIASES.get(table, {}).get(column, ())
    return (column, *own, *_COMMON.get(column, ()))


def table_for_name(name: str) -> str | None:
    """The canonical table a file stem / DB table name stands for, or None.

    ``订单2024`` -> transactions, ``Customers`` -> customers. The longest synonym found wins.
    """
    norm = normalise_header(name)
    best: tuple[int, str] | None = None
    for tbl, synonyms in TABLE_SYNONYMS.items():
        for syn in synonyms:
            s = normalise_header(syn)
            if s and s in norm and (best is None or len(s) > best[0]):
                best = (len(s), tbl)
    return None if best is None else best[1]


def detect_preset(headers: Iterable[str]) -> str | None:
    """``"zoho"`` or ``"fxiaoke"`` when the headers carry that CRM's marker columns."""
    norm = {normalise_header(h) for h in headers}
    for name, markers in _PRESET_MARKERS.items():
        if any(normalise_header(m) in norm for m in markers):
            return name
    return None


def _fix_line(table: str, column: str, header: str) -> str:
    return f'[mapping.{table}]\n{column} = "{header}"'


def resolve(
    table: str,
    headers: Iterable[str],
    explicit: Mapping[str, str] | None = None,
    preset: str | None = None,
    file: str | None = None,
) -> dict[str, str]:
    """Map the ``headers`` of one source onto the canonical columns of ``table``.

    Parameters
    ----------
    table : str
        Canonical table name.
    headers : iterable of str
        The source's column headers, in order.
    explicit : mapping, optional
        ``config.mapping[table]``: canonical column -> source header. Always wins.
    preset : str, optional
        CRM preset name; detected from the headers when None.
    file : str, optional
        Source name, used in error messages.

    Returns
    -------
    dict
        canonical column -> source header, for every column found (open families such as
        survey ``q_*`` items included, under their own name).

    Raises
    ------
    SchemaError
        An explicit header is absent, a required column is missing, or two headers match one
        canonical column. The message lists the candidate headers and the toml lines that fix it.
    """
    spec = schema.table(table)
    headers = [str(h) for h in headers]
    by_norm: dict[str, list[str]] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), []).append(h)
    explicit = dict(explicit or {})
    if preset is not None and preset not in PRESETS:
        raise ConfigError(t("data.mapping.unknown_preset", preset=preset), value=preset,
                          fix=t("data.mapping.unknown_preset_fix", known=", ".join(PRESETS)))
    preset = preset or detect_preset(headers)
    preset_cols = PRESETS.get(preset or "", {}).get(table, {})
    out: dict[str, str] = {}
    used: set[str] = set()

    for canon, header in explicit.items():
        spec.column(canon)
        if header not in headers:
            matches = by_norm.get(normalise_header(header), [])
            if len(matches) != 1:
                raise SchemaError(
                    t("data.mapping.explicit_absent", table=table, column=canon, header=header,
                      headers=", ".join(headers)),
                    file=file, column=canon, value=header,
                    fix=t("data.mapping.fix_prefix") + "\n" + _fix_line(table, canon, headers[0] if headers else "..."),
                )
            header = matches[0]
        out[canon] = header
        used.add(header)

    for col in spec.columns:
        canon = col.name
        if canon in out:
            continue
        for cand in preset_cols.get(canon, ()):
            found = [h for h in by_norm.get(normalise_header(cand), []) if h not in used]
            if found:
                out[canon] = found[0]
                used.add(found[0])
                break
        if canon in out:
            continue
        exact = [h for h in by_norm.get(normalise_header(canon), []) if h not in used]
        if exact:
            out[canon] = exact[0]
            used.add(exact[0])
            continue
        found = []
        for alias in aliases(table, canon)[1:]:
            for h in by_norm.get(normalise_header(alias), []):
                if h not in used and h not in found:
                    found.append(h)
        if len(found) > 1:
            raise SchemaError(
                t("data.mapping.ambiguous", table=table, column=canon, headers=", ".join(found)),
                file=file, column=canon,
                fix=t("data.mapping.fix_prefix") + "\n" + _fix_line(table, canon, found[0]),
            )
        if found:
            out[canon] = found[0]
            used.add(found[0])

    for h in headers:
        if h in used:
            continue
        low = unicodedata.normalize("NFKC", h).strip().lower()
        if any(low.startswith(p) for p in spec.prefixes) and low not in out:
            out[low] = h
            used.add(h)

    missing = [c for c in spec.required if c not in out]
    if missing:
        canon = missing[0]
        spare = [h for h in headers if h not in used] or headers
        raise SchemaError(
            t("data.mapping.missing", table=table, column=canon,
              aliases=", ".join(aliases(table, canon)[:6]), headers=", ".join(spare)),
            file=file, column=canon,
            fix=t("data.mapping.fix_prefix") + "\n"
            + _fix_line(table, canon, spare[0] if spare else "your header"),
        )
    return out
