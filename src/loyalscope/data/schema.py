"""The canonical tables and columns: the single source of truth of the data layer.

Every importer maps user columns onto these names and types; every metric reads only these.
Column meanings are i18n keys ``schema.<table>.<column>`` (zh and en text in the catalogues).

Conventions
-----------
- Identifiers (``customer_id``, ``order_id`` ...) are strings, so "007" stays "007".
- Timestamps are naive wall-clock times in the business time zone (``[data] timezone``);
  inputs carrying an offset are converted into that zone on import.
- Money is float64 in the data's own currency; ``unit`` says so.
- Survey item columns are open-ended: ``q_*`` Likert items (e.g. ``q_imag1``), ``dim_*``
  dimension ratings (quality, price, service ...), ``comp_<competitor>_<dimension>`` competitor
  ratings of the same respondents (``comp_<competitor>_nps`` for their NPS question),
  ``imp_<dimension>`` stated importance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from loyalscope.errors import SchemaError

DType = Literal["string", "int64", "float64", "boolean", "timestamp", "date"]


@dataclass(frozen=True)
class Column:
    """One canonical column."""

    name: str
    dtype: DType
    required: bool = False
    unit: str | None = None
    """e.g. "currency", "0-10", "1-5", "hours", "points"."""
    key: bool = False
    """Part of the table's primary key (duplicates are quarantined)."""
    nonnegative: bool = False

    def meaning_key(self, table: str) -> str:
        return f"schema.{table}.{self.name}"


@dataclass(frozen=True)
class Table:
    """One canonical table."""

    name: str
    columns: tuple[Column, ...]
    prefixes: tuple[str, ...] = field(default=())
    """Open column families allowed besides the fixed columns (e.g. ``q_`` in surveys)."""
    time_column: str | None = None
    fallback_key: tuple[str, ...] = ()
    """The columns that identify a row when the table's key column is absent (a returns file
    without a refund id: the same order, time and amount twice is one return exported twice)."""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        for prefix in self.prefixes:
            if name.startswith(prefix):
                return Column(name, "float64")
        raise SchemaError(
            f"Table {self.name!r} has no column {name!r}.",
            column=name,
            fix=f"Canonical columns of {self.name}: {', '.join(self.names)}"
            + (f"; open families: {', '.join(p + '*' for p in self.prefixes)}" if self.prefixes else ""),
        )

    def allows(self, name: str) -> bool:
        return name in self.names or any(name.startswith(p) for p in self.prefixes)


def _c(name: str, dtype: DType, **kw: object) -> Column:
    return Column(name, dtype, **kw)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            (
                _c("customer_id", "string", required=True, key=True),
                _c("person_id", "string"),
                _c("signup_date", "timestamp"),
                _c("acquisition_cost", "float64", unit="currency", nonnegative=True),
                _c("channel", "string"),
                _c("region", "string"),
                _c("gender", "string"),
                _c("age", "float64", unit="years", nonnegative=True),
                _c("member_tier", "string"),
                _c("is_employee", "boolean"),
                _c("came_from_competitor", "boolean"),
                _c("churn_reason", "string"),
                # a snapshot of customers without dates (IBM's Telco sample): tenure in periods
                # (``[value] tenure_unit``), whether the customer left in the last period, the fee
                # per period and the plan; read by the "snapshot" section
                _c("tenure", "float64", unit="periods", nonnegative=True),
                _c("churned", "boolean"),
                _c("fee", "float64", unit="currency", nonnegative=True),
                _c("plan", "string"),
                # a CRM's member list with each member's purchase totals (有赞 / 微盟 / Shopify
                # customers): with the last purchase time, RFM segments without the orders
                # (sections.segments, segments.rfm.member_summary)
                _c("order_count", "int64", unit="count", nonnegative=True),
                _c("total_spend", "float64", unit="currency"),
                _c("first_order_ts", "timestamp"),
                _c("last_order_ts", "timestamp"),
            ),
            time_column="signup_date",
        ),
        Table(
            "transactions",
            (
                _c("order_id", "string", required=True, key=True),
                _c("customer_id", "string", required=True),
                _c("order_ts", "timestamp", required=True),
                _c("amount", "float64", required=True, unit="currency"),
                _c("product_id", "string"),
                _c("category", "string"),
                _c("channel", "string"),
                _c("quantity", "float64"),
                _c("discount", "float64", unit="currency"),
                _c("margin", "float64", unit="currency"),
                _c("is_promo", "boolean"),
                # Columns of real exports, read by ``data.shapes`` (see ``INPUT_OPTIONAL``):
                _c("unit_price", "float64", unit="currency"),
                _c("status", "string"),
                _c("paid_amount", "float64", unit="currency"),
                _c("refund_amount", "float64", unit="currency"),
                _c("paid_ts", "timestamp"),
                _c("lines", "int64", unit="count"),
                _c("gross_amount", "float64", unit="currency"),
            ),
            time_column="order_ts",
        ),
        Table(
            "returns",
            (
                # a refund id identifies a return: an order may be refunded twice (two of its
                # items, on two dates), as 淘宝 / 天猫 refund reports (退款编号) show
                _c("return_id", "string", key=True),
                _c("order_id", "string", required=True),
                _c("return_ts", "timestamp", required=True),
                _c("amount", "float64", unit="currency", nonnegative=True),
                _c("reason", "string"),
                _c("customer_id", "string"),
                _c("status", "string"),
            ),
            time_column="return_ts",
            fallback_key=("order_id", "return_ts", "amount"),
        ),
        Table(
            "complaints",
            (
                _c("complaint_id", "string", required=True, key=True),
                _c("customer_id", "string", required=True),
                _c("opened_ts", "timestamp", required=True),
                _c("closed_ts", "timestamp"),
                _c("severity", "string", unit="major/minor"),
                _c("resolved", "boolean"),
                _c("category", "string"),
                _c("channel", "string"),
                _c("text", "string"),  # what the customer wrote (read by the report's text themes)
            ),
            time_column="opened_ts",
        ),
        Table(
            "surveys",
            (
                _c("response_id", "string", required=True, key=True),
                _c("customer_id", "string", required=True),
                _c("answered_ts", "timestamp", required=True),
                _c("nps", "float64", unit="0-10"),
                _c("csat", "float64", unit="1-N"),
                _c("share_of_wallet", "float64", unit="0-1"),
                _c("recommend_intent", "float64", unit="1-N"),
                _c("repurchase_intent", "float64", unit="1-N"),
                _c("loyalty_score", "float64", unit="1-N"),
                _c("price_sensitivity", "float64", unit="1-N"),
                _c("voluntary", "float64", unit="1-N"),
                _c("alternatives", "float64", unit="count"),
                _c("mention_unprompted", "boolean"),
                _c("segment", "string"),
                _c("comment", "string"),  # free-text answer (read by the report's text themes)
            ),
            prefixes=("q_", "dim_", "comp_", "imp_"),
            time_column="answered_ts",
        ),
        Table(
            "referrals",
            (
                _c("referrer_id", "string", required=True, key=True),
                _c("referred_id", "string", required=True, key=True),
                _c("referred_ts", "timestamp", required=True),
                _c("converted", "boolean"),
            ),
            time_column="referred_ts",
        ),
        Table(
            "interactions",
            (
                _c("customer_id", "string", required=True),
                _c("ts", "timestamp", required=True),
                _c("kind", "string", required=True, unit="consult/event/feedback/training"),
                _c("effective", "boolean"),
                _c("channel", "string"),
                _c("text", "string"),  # feedback text (read by the report's text themes)
            ),
            time_column="ts",
        ),
        Table(
            "contracts",
            (
                _c("customer_id", "string", required=True, key=True),
                _c("start_date", "timestamp", required=True, key=True),
                _c("end_date", "timestamp", required=True),
                _c("renewed", "boolean"),
                _c("plan", "string"),
                _c("fee", "float64", unit="currency", nonnegative=True),
            ),
            time_column="start_date",
        ),
        Table(
            "loyalty_points",
            (
                _c("customer_id", "string", required=True),
                _c("ts", "timestamp", required=True),
                _c("points_earned", "float64", required=True, unit="points", nonnegative=True),
                _c("points_redeemed", "float64", required=True, unit="points", nonnegative=True),
                # a ledger's signed change, split into the two above (``data.load``)
                _c("points_change", "float64", unit="points"),
            ),
            time_column="ts",
        ),
        # ---- related exports, joined by ``data.shapes`` (never analysed on their own) ----
        Table(
            "payments",
            (
                _c("order_id", "string", required=True),
                _c("amount", "float64", required=True, unit="currency"),
                _c("paid_ts", "timestamp"),
                _c("method", "string"),
                _c("installments", "float64", unit="count"),
                _c("sequence", "float64"),
            ),
            time_column="paid_ts",
        ),
        Table(
            "order_items",
            (
                _c("order_id", "string", required=True),
                _c("line_no", "string"),
                _c("product_id", "string"),
                _c("category", "string"),
                _c("quantity", "float64"),
                _c("unit_price", "float64", unit="currency"),
                _c("amount", "float64", unit="currency"),
                _c("freight", "float64", unit="currency"),
            ),
        ),
        Table(
            "products",
            (
                _c("product_id", "string", required=True, key=True),
                _c("category", "string"),
            ),
        ),
        Table(
            "reviews",
            (
                _c("review_id", "string", required=True, key=True),
                _c("order_id", "string", required=True),
                _c("score", "float64", required=True, unit="1-5"),
                _c("answered_ts", "timestamp"),
            ),
            time_column="answered_ts",
        ),
        # ---- made by ``data.shapes`` ----
        Table(
            "orders",
            (
                _c("order_id", "string", required=True, key=True),
                _c("customer_id", "string"),
                _c("order_ts", "timestamp", required=True),
                _c("amount", "float64", unit="currency"),
                _c("refund_amount", "float64", unit="currency"),
                _c("status", "string"),
                _c("status_class", "string", unit="sale/cancelled/unpaid/closed/unavailable/failed"),
                _c("is_sale", "boolean"),
                _c("is_guest", "boolean"),
                _c("lines", "int64", unit="count"),
                _c("quantity", "float64"),
                _c("channel", "string"),
            ),
            time_column="order_ts",
        ),
        Table(
            "order_lines",
            (
                _c("order_id", "string", required=True),
                _c("customer_id", "string", required=True),
                _c("order_ts", "timestamp", required=True),
                _c("product_id", "string"),
                _c("category", "string"),
                _c("quantity", "float64"),
                _c("amount", "float64", unit="currency"),
            ),
            time_column="order_ts",
        ),
    )
}

RELATED_TABLES: tuple[str, ...] = ("payments", "order_items", "products", "reviews")
"""Exports that only complete other tables (joined on shared keys by ``data.shapes``)."""
SHAPED_TABLES: tuple[str, ...] = ("orders", "order_lines")
"""Tables that ``data.shapes`` makes; not read from user files."""

TABLE_NAMES: tuple[str, ...] = tuple(n for n in TABLES if n not in RELATED_TABLES + SHAPED_TABLES)
"""The analysed tables a user (or the simulator) gives."""
ALL_TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

JOINED_ON_ORDER_ID: tuple[str, ...] = ("payments", "order_items")
"""Related exports joined to transactions on ``order_id``: beside one of them a transactions
source needs the id, and may take its amounts from them. Without them the id may be absent (a
purchase log: customer, date, amount, such as CDNOW's, or with a quantity, price and category
per purchase, such as Kaggle's Retail Sales and E-commerce Customer Behavior data): each row is
then one order, named by its file and line (``data.load``), and a note says that rows of one
order on several lines would each count as an order."""

SURVEY_MEASURES: tuple[str, ...] = tuple(
    c.name for c in TABLES["surveys"].columns if not c.required and c.dtype in ("float64", "int64"))
"""The survey's answers that are numbers (nps, csat, the items ...). A survey source with one of
them may lack ``response_id`` (an NPS export: ID, Market, Survey date, Customer Name, NPS, whose
ID is not known for a response id): each row is then one response, named by its file and line
(``data.load``), and a note says so."""

ROW_IDS: dict[str, tuple[str, str]] = {"transactions": ("order_id", "note_row_orders"),
                                       "surveys": ("response_id", "note_row_responses")}
"""Tables whose source may lack its id (see :data:`JOINED_ON_ORDER_ID`, :data:`SURVEY_MEASURES`):
the id column each row then gets (``file:line``) and the note (``data.validate.<key>``) saying so."""

INPUT_OPTIONAL: dict[str, tuple[str, ...]] = {
    "transactions": ("customer_id", "amount"),
    "returns": ("return_ts",),
    "loyalty_points": ("points_earned", "points_redeemed"),
}
"""Required columns a source of that table may lack: rows without a customer id are guest orders,
and the amount may come from quantity x unit price, a paid amount, payments or order items; a
list of returned orders without dates (Superstore's Returns sheet: Returned, Order ID) is dated
by its orders (``data.shapes``); a points ledger may give one signed change per row instead of
points earned and redeemed (``data.load``)."""


def table(name: str) -> Table:
    """The canonical table ``name``; a clear error for an unknown name."""
    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(
            f"Unknown table {name!r}.",
            value=name,
            fix=f"Use one of: {', '.join(TABLE_NAMES)}.",
        ) from None


def ibis_schema(name: str, columns: list[str] | None = None) -> dict[str, str]:
    """Ibis dtype strings of ``columns`` (default: all fixed columns) of table ``name``."""
    tbl = table(name)
    cols = columns if columns is not None else list(tbl.names)
    return {c: tbl.column(c).dtype for c in cols}
