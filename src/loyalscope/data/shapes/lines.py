"""Order lines -> orders, and the returns that lines, refund columns and statuses carry.

Rules (all in the engine, one pass per order id):

- **Order-line file**: a transactions source with quantity, unit price, product or category
  columns, or with several rows per order id. Every line is kept and aggregated to its order:
  order amount = sum of the line amounts, a line amount being ``amount`` or ``quantity x
  unit_price``. When ``amount`` is an order total written on the first line only (Shopify), the
  order amount is that total and the line amounts are quantity x unit price. The line count,
  quantity and the lines themselves (categories for cross-selling) are kept.
- **Duplicate key**: in a file without line columns, a repeated order id is a duplicate: the
  first row is kept, the others are quarantined (``duplicate_key``).
- **Returns**: a line with a negative amount or quantity is a returned line. An order whose lines
  are all returned lines (a cancellation invoice such as ``C536379``) is a return document, not
  an order: it becomes a return of its customer with its own id (``reason = "cancellation"``
  when the id starts with C, else ``"negative_amount"``). Returned lines inside an order become a
  return of that order (``"negative_line"``). A refund column (退款金额, refund_amount) > 0 gives a
  return of the order (``"refund"``); a ``refunded`` status without a refund amount returns the
  whole order (``"refunded"``). ``[data] negative_amounts = "quarantine"`` quarantines returned
  lines instead.
- **Status**: see :mod:`loyalscope.data.shapes.statuses`. Without a status column, an order
  report with a payment-time column marks orders without a payment time as ``unpaid``.
- **Guests**: an order without a customer id is a guest order (``is_guest``).

Gross revenue = sum of sale orders' amounts; returns = sum of return amounts; net = gross -
returns (Kotler & Keller, *Marketing Management*, net sales = gross sales - returns and
allowances).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis

from loyalscope.config import AnalysisConfig
from loyalscope.data import schema, sqlcache
from loyalscope.data.compiled import remember, scratch_name
from loyalscope.data.shapes._common import (
    BAD,
    LINE,
    LINE_COLUMNS,
    MARK,
    SOURCE,
    WHY,
    count,
    quarantine,
    template,
    unreadable_detail,
)
from loyalscope.data.shapes.statuses import NOT_SALES, classify
from loyalscope.engine import anti_join, semi_join
from loyalscope.i18n import t

_ORDER_FIRST = ("customer_id", "status", "channel", "paid_ts")


@dataclass
class Lines:
    """Orders (one row per order id), sale lines, returns, and quarantine parts."""

    orders: ibis.Table
    lines: ibis.Table
    returns: ibis.Table
    quarantine: list[ibis.Table]
    line_file: bool
    one_line_orders: bool = False
    """Every order is one row: ``lines`` are a projection of ``orders`` (no join needed)."""


def _null(tbl: ibis.Table, col: str, dtype: str) -> ibis.Value:
    return tbl[col] if col in tbl.columns else ibis.null(dtype)


def is_line_file(tx: ibis.Table) -> bool:
    """Lines when line columns exist or an order id repeats with different line content."""
    if set(LINE_COLUMNS) & set(tx.columns):
        return True
    return False


def shape_lines(tx: ibis.Table, config: AnalysisConfig,
                external: ibis.Table | None = None,
                store: Callable[[ibis.Table], ibis.Table] | None = None) -> Lines:
    """Aggregate ``tx`` (accepted transaction rows with ``_line``/``_source``) to orders.

    ``external`` (``order_id``, ``ext_amount``) gives order amounts from payments or order items;
    it wins over the lines' own amounts. ``store`` materialises the orders once on the engine
    (every output of the shapes reads that table); default: Ibis' ``cache``.

    When no order id repeats (one row per order: most exports, and every order-line file whose
    orders have one line), each row is its order: the orders are a projection of the rows, with
    the same values the aggregation would give, and no grouping, window or join over the rows is
    run (one statistics query decides it). Otherwise lines are grouped by order id.
    """
    parts: list[ibis.Table] = []
    line_file = is_line_file(tx)
    repeated = _repeated_orders(tx)
    unique = repeated is None
    if not line_file and repeated is not None:
        # only the rows of repeated ids are numbered (a window over every row sorted them all)
        rep = semi_join(tx, tx.order_id, repeated.order_id)
        w = ibis.window(group_by=rep.order_id, order_by=[rep[SOURCE], rep[LINE]])
        rep = rep.mutate(_rn=ibis.row_number().over(w), _first=rep[LINE].first().over(w)).cache()
        dup = rep.filter(rep._rn > 0)
        parts.append(quarantine(dup, "transactions", "order_id", dup.order_id, "duplicate_key",
                                ibis.literal(t("data.shapes.detail_duplicate")).concat(
                                    dup._first.cast("string"))))
        once = anti_join(tx, tx.order_id, repeated.order_id)
        first = rep.filter(rep._rn == 0)
        tx = once.union(first.select(**{c: first[c].cast(once[c].type()) for c in once.columns}))
        unique = True
    tx = _incomplete_rows(tx, parts) if unique else _incomplete_orders(tx, parts)

    has_quantity = "quantity" in tx.columns
    amount = _null(tx, "amount", "float64")
    qty = _null(tx, "quantity", "float64")
    price = _null(tx, "unit_price", "float64")
    has_qp = "quantity" in tx.columns and "unit_price" in tx.columns
    order_level = (not unique and has_qp and "amount" in tx.columns
                   and _amount_is_order_total(tx))
    qp = qty * price if has_qp else ibis.null("float64")
    value = qp if order_level else ibis.coalesce(amount, qp)
    tx = tx.mutate(_v=value, _amt=amount, _q=qty)
    ret = (tx._v < 0).fill_null(False) | (tx._q < 0).fill_null(False)
    if not order_level:
        ret = ret | (tx._amt < 0).fill_null(False)
    tx = tx.mutate(_ret=ret)
    if config.data.negative_amounts == "quarantine":
        bad = tx.filter(tx._ret)
        parts.append(quarantine(bad, "transactions", "amount", bad._v, "negative_amount",
                                t("data.shapes.detail_negative")))
        tx = tx.filter(~tx._ret)

    o = _per_row_orders(tx) if unique else _grouped_orders(tx, order_level)
    n_own = len(o.columns)  # the line count follows these (added after storing, see below)

    if external is not None:
        ext = external.rename(_eid="order_id")
        o = o.left_join(ext, o.order_id == ext._eid).drop("_eid")
    own = o._total if order_level else o._gross
    if "paid_amount" in o.columns:
        own = ibis.coalesce(own, o.paid_amount)
    if external is not None:
        own = ibis.coalesce(o.ext_amount, own)
    o = o.mutate(amount=own)

    status = o.status if "status" in o.columns else ibis.null("string")
    cls = classify(status, config.data.statuses)
    # columns that are one value on every order when the file has no status or quantity are not
    # stored (ten million copies of a constant held ~400 MB): added back after storing
    constant: dict[str, ibis.Value] = {}
    if "status" not in o.columns and "paid_ts" in o.columns:
        cls = ibis.cases((o.paid_ts.isnull(), "unpaid"), else_="sale")
    elif "status" not in o.columns:  # a missing status is a sale
        constant.update(status=status, status_class=ibis.literal("sale"))
    if not has_quantity:
        constant["quantity"] = ibis.null("float64")
    doc = (o._n_sale == 0) & (o._n_ret > 0)
    o = o.mutate(status=status, status_class=cls, _doc=doc)
    o = o.mutate(is_sale=~o._doc & ~o.status_class.isin(NOT_SALES),
                 is_guest=o.customer_id.isnull() if "customer_id" in o.columns
                 else ibis.literal(True))
    if "customer_id" not in o.columns:
        o = o.mutate(customer_id=ibis.null("string"))

    # orders whose amount nothing gives: their lines are quarantined
    o = o.mutate(_no_amount=o.amount.isnull() & ~o._doc)
    # copies of other columns are added after storing (each stored column of ten million orders
    # is ~100 MB in memory): the line count is the sale line count; one-row orders have no total
    names = [*o.columns[:n_own], "lines", *o.columns[n_own:]]
    o = o.drop(*constant, *(["_total"] if unique else []))
    o = store(o) if store is not None else o.cache()
    o = o.mutate(lines=o._n_sale, **({"_total": ibis.null("float64")} if unique else {}),
                 **constant)
    o = o.select(*names)  # the columns in the order they were built
    if unique:  # the order is its row
        lost = o.filter(o._no_amount)
    else:
        missing = o.filter(o._no_amount).select(mid="order_id")
        lost = semi_join(tx, tx.order_id, missing.mid)
    parts.append(quarantine(lost, "transactions", "amount", None, "missing_required",
                            t("data.shapes.detail_no_amount")))
    o = o.filter(~o._no_amount)

    returns = _returns(o)
    orders = o.filter(~o._doc)
    if unique and external is None:  # one line per order: the order row carries its line
        lines = orders.filter(orders._n_sale > 0).select(
            order_id=orders.order_id, product_id=_null(orders, "product_id", "string"),
            category=_null(orders, "category", "string"), quantity=orders.quantity,
            amount=orders._lv)
    else:
        lines = tx.filter(~tx._ret).select(
            order_id=tx.order_id, product_id=_null(tx, "product_id", "string"),
            category=_null(tx, "category", "string"), quantity=tx._q,
            amount=ibis.coalesce(tx._v, tx._amt))
    return Lines(orders, lines, returns, parts, line_file, unique and external is None)


def _repeated_orders(tx: ibis.Table) -> ibis.Table | None:
    """The order ids on more than one row (a small stored table), or None when no id repeats
    (one query: a sort on DuckDB, an aggregation elsewhere)."""
    con = tx._find_backend()
    if con.name == "duckdb":
        # the same ids by a sort: an id equal to its predecessor in id order repeats. DuckDB
        # sorts ten million ids in about half the time a hash aggregate of as many distinct
        # keys takes (a window without partitions is one task on Spark: not used there)
        prev = tx.order_id.lag().over(ibis.window(order_by=tx.order_id))
        marked = tx.select("order_id", _again=tx.order_id.identical_to(prev))
        repeated = marked.filter(marked._again).select("order_id").distinct()
    else:
        counts = tx.group_by("order_id").aggregate(_k=tx.count())
        repeated = counts.filter(counts._k > 1).select("order_id")
    name = scratch_name("repeated")  # stored as Ibis' cache would, with the SQL compiled once
    repeated = sqlcache.create_table(con, name, repeated)
    remember("table", name)
    if count(repeated) == 0:
        return None
    return repeated


def _grouped_orders(tx: ibis.Table, order_level: bool) -> ibis.Table:
    """One row per order id: the lines aggregated."""
    sale = ~tx._ret
    aggs: dict[str, ibis.Value] = {
        "order_ts": tx.order_ts.min(),
        "_n_sale": ibis.ifelse(sale, 1, 0).sum(),
        "_n_ret": ibis.ifelse(tx._ret, 1, 0).sum(),
        "_gross": ibis.cases((sale, tx._v), else_=ibis.null("float64")).sum(),
        "_returned": ibis.cases((tx._ret, -tx._v), else_=ibis.null("float64")).sum(),
        "_total": tx._amt.sum() if order_level else ibis.null("float64"),
        "quantity": ibis.cases((sale, tx._q), else_=ibis.null("float64")).sum(),
        "_source": tx[SOURCE].min(),
    }
    for col in _ORDER_FIRST:
        if col in tx.columns:
            aggs[col] = tx[col].min()
    for col in ("paid_amount", "refund_amount"):
        if col in tx.columns:
            aggs[col] = tx[col].max()
    for col in ("discount", "margin"):
        if col in tx.columns:
            aggs[col] = tx[col].sum()
    if "is_promo" in tx.columns:
        aggs["is_promo"] = tx.is_promo.any()
    for col in ("category", "product_id"):
        if col in tx.columns:
            aggs[col] = ibis.cases((sale, tx[col]), else_=ibis.null("string")).min()
    return tx.group_by("order_id").aggregate(**aggs)


def _per_row_orders(tx: ibis.Table) -> ibis.Table:
    """Orders of one row each: the values :func:`_grouped_orders` gives for a single line,
    plus ``_line`` (the order's row) and ``_lv`` (its line amount)."""
    sale = ~tx._ret
    none = ibis.null("float64")
    cols: dict[str, ibis.Value] = {
        "order_id": tx.order_id,
        "order_ts": tx.order_ts,
        "_n_sale": ibis.ifelse(sale, 1, 0).cast("int64"),
        "_n_ret": ibis.ifelse(tx._ret, 1, 0).cast("int64"),
        "_gross": ibis.ifelse(sale, tx._v, none),
        "_returned": ibis.ifelse(tx._ret, -tx._v, none),
        "_total": none,
        "quantity": ibis.ifelse(sale, tx._q, none),
        "_source": tx[SOURCE],
        "_line": tx[LINE],
        "_lv": ibis.coalesce(tx._v, tx._amt),
    }
    for col in (*_ORDER_FIRST, "paid_amount", "refund_amount", "discount", "margin", "is_promo"):
        if col in tx.columns:
            cols[col] = tx[col]
    for col in ("category", "product_id"):
        if col in tx.columns:
            cols[col] = ibis.ifelse(sale, tx[col], ibis.null("string"))
    return tx.select(**cols)


def _unreadable(tbl: ibis.Table, col: str) -> ibis.Value:
    """The detail of a row whose ``col`` value cannot be read: the value, and why (validation's
    ``_why_<col>``: a day number in the order time says how to read it, ``[data] day_one``)."""
    dtype = schema.table("transactions").column(col).dtype
    return unreadable_detail(tbl, col, dtype)


def _incomplete_orders(tx: ibis.Table, parts: list[ibis.Table]) -> ibis.Table:
    """Quarantine, whole, the orders with an unreadable value or no time on any line.

    Validation keeps a line whose amount (or, in a line file, time) cannot be read, with the raw
    value in ``_bad_<column>``: dropping that line alone would silently shrink its order. Here the
    line gets reason ``unparseable`` with its value, and the other lines of its order the same
    reason with a detail naming the order. An order none of whose lines has a time is quarantined
    with ``missing_required`` (``order_ts``).
    """
    flagged: ibis.Table | None = None
    for bad in [c for c in tx.columns if c.startswith(BAD)]:
        col = bad[len(BAD):]
        raw = tx[bad].cast("string")
        ids = tx.filter(raw.notnull()).select(_oid=tx.order_id).distinct()
        hit = semi_join(tx, tx.order_id, ids._oid)
        if flagged is not None:
            hit = anti_join(hit, hit.order_id, flagged._oid)
        hraw = hit[bad].cast("string")
        own = hit.filter(hraw.notnull())
        parts.append(quarantine(own, "transactions", col, own[bad], "unparseable",
                                _unreadable(own, col)))
        rest = hit.filter(hraw.isnull())
        parts.append(quarantine(rest, "transactions", col, None, "unparseable", template(
            t("data.shapes.detail_order_unreadable", column=col, order=MARK), rest.order_id)))
        flagged = ids if flagged is None else flagged.union(ids)
    aggs = {"_n_ts": tx.order_ts.count()}
    if "customer_id" in tx.columns:  # lines naming different customers: min and max differ
        aggs.update(_c_lo=tx.customer_id.min(), _c_hi=tx.customer_id.max())
    per = tx.group_by("order_id").aggregate(**aggs)
    no_ts = per.filter(per._n_ts == 0).select(_oid=per.order_id)
    if flagged is not None:
        no_ts = anti_join(no_ts, no_ts._oid, flagged._oid)
    lost = semi_join(tx, tx.order_id, no_ts._oid)
    parts.append(quarantine(lost, "transactions", "order_ts", None, "missing_required",
                            t("data.validate.detail_missing", column="order_ts")))
    gone = no_ts if flagged is None else flagged.union(no_ts)
    if "customer_id" in tx.columns:
        two = per.filter((per._n_ts > 0) & (per._c_lo != per._c_hi))
        two = two.select(_oid=two.order_id, _lo=two._c_lo, _hi=two._c_hi)
        if flagged is not None:
            two = anti_join(two, two._oid, flagged._oid)
        hit = tx.inner_join(two, tx.order_id == two._oid)
        detail = template(t("data.shapes.detail_two_customers", order=MARK, first=MARK, last=MARK),
                           hit.order_id, hit._lo, hit._hi)
        parts.append(quarantine(hit, "transactions", "customer_id", hit.customer_id,
                                "conflicting_values", detail))
        gone = gone.union(two.select("_oid"))
    tx = anti_join(tx, tx.order_id, gone._oid)
    return tx.drop(*[c for c in tx.columns if c.startswith((BAD, WHY))])


def _incomplete_rows(tx: ibis.Table, parts: list[ibis.Table]) -> ibis.Table:
    """:func:`_incomplete_orders` when every order is one row: a row with an unreadable value is
    quarantined (``unparseable``, with its value), a row without a time ``missing_required``."""
    bads = [c for c in tx.columns if c.startswith(BAD)]
    hit = ibis.literal(False)
    for bad in bads:
        col = bad[len(BAD):]
        raw = tx[bad].cast("string")
        own = tx.filter(raw.notnull() & ~hit)
        parts.append(quarantine(own, "transactions", col, own[bad], "unparseable",
                                _unreadable(own, col)))
        hit = hit | raw.notnull()
    no_ts = tx.filter(tx.order_ts.isnull() & ~hit)
    parts.append(quarantine(no_ts, "transactions", "order_ts", None, "missing_required",
                            t("data.validate.detail_missing", column="order_ts")))
    kept = tx.filter(~hit & tx.order_ts.notnull())
    return kept.drop(*bads, *[c for c in tx.columns if c.startswith(WHY)])


def _amount_is_order_total(tx: ibis.Table) -> bool:
    """``amount`` filled on exactly one line of every multi-line order (an order total)."""
    per = tx.group_by("order_id").aggregate(n=tx.count(), filled=tx.amount.count())
    multi = per.filter(per.n > 1)
    stats = multi.aggregate(orders=multi.count(), single=ibis.ifelse(multi.filled == 1, 1, 0).sum()).execute()
    n, single = int(stats["orders"].iloc[0]), stats["single"].iloc[0]
    return n > 0 and int(single or 0) == n


def _returns(o: ibis.Table) -> ibis.Table:
    """Return rows: cancellation documents, returned lines, refund columns, refunded statuses."""
    parts = []
    docs = o.filter(o._doc)
    parts.append(docs.select(
        order_id=docs.order_id, return_ts=docs.order_ts, amount=docs._returned,
        reason=ibis.cases((docs.order_id.upper().startswith("C"), "cancellation"),
                          else_="negative_amount"),
        customer_id=docs.customer_id))
    part = o.filter(~o._doc & o.is_sale & (o._n_ret > 0))
    parts.append(part.select(order_id=part.order_id, return_ts=part.order_ts, amount=part._returned,
                             reason=ibis.literal("negative_line"), customer_id=part.customer_id))
    if "refund_amount" in o.columns:
        ref = o.filter(~o._doc & o.is_sale & (o.refund_amount > 0).fill_null(False))
        parts.append(ref.select(order_id=ref.order_id, return_ts=ref.order_ts,
                                amount=ref.refund_amount, reason=ibis.literal("refund"),
                                customer_id=ref.customer_id))
        full = o.filter(~o._doc & (o.status_class == "refunded") & o.refund_amount.isnull())
    else:
        full = o.filter(~o._doc & (o.status_class == "refunded"))
    parts.append(full.select(order_id=full.order_id, return_ts=full.order_ts, amount=full.amount,
                             reason=ibis.literal("refunded"), customer_id=full.customer_id))
    return ibis.union(*parts)
