"""Shapes: real export shapes -> the canonical tables, in the engine, once after validation.

``apply(tables, config)`` takes the accepted tables of :func:`loyalscope.data.load` (Ibis
tables that keep each row's ``_source`` and ``_line``) and returns the analysed tables, the
quarantine rows it made (Ibis tables of the quarantine columns) and a :class:`ShapeLog`:

1. persons (:mod:`.related`): customers with a person id resolve account / per-order ids;
2. order amounts from payments, else from order items (:mod:`.related`);
3. order lines -> orders, returns, statuses (:mod:`.lines`, :mod:`.statuses`);
4. order items -> lines and categories (products complete the categories of order items, or
   of the transactions' own lines when there are no order items); reviews -> survey answers
   (CSAT);
5. guests: orders without a customer id stay in ``orders`` (counted, shown) and leave
   ``transactions`` (customer-level analyses); a file with no customer id at all gives
   ``orders`` only, and the customer sections say why they are skipped.

Outputs: ``orders`` (every order, sale or not, guest or not), ``transactions`` (sale orders of
known customers, one row per order), ``order_lines`` (their lines), ``returns`` (with
``customer_id``), ``surveys`` (review answers added), ``customers`` (one row per person).
Related exports (payments, order items, products, reviews) are not analysed on their own.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from loyalscope.config import AnalysisConfig
from loyalscope.data import schema, sqlcache
from loyalscope.data.shapes._common import (
    BAD,
    LINE,
    SOURCE,
    WHY,
    ShapeLog,
    count,
    quarantine,
    row_optional_columns,
    source_names,
    unreadable_detail,
)
from loyalscope.data.shapes.lines import shape_lines
from loyalscope.data.shapes.related import (
    customers_by_person,
    item_amounts,
    item_lines,
    match,
    payment_amounts,
    persons,
    product_categories,
    reviews_to_surveys,
)
from loyalscope.data.shapes.statuses import classify_return
from loyalscope.i18n import t
from loyalscope.metrics._base import money_sum

__all__ = ["BAD", "WHY", "ShapeLog", "apply", "row_optional_columns", "source_names"]

_NEEDS = {"payments": "transactions", "order_items": "transactions", "reviews": "transactions",
          "products": "order_items"}


def _drop_meta(tbl: ibis.Table) -> ibis.Table:
    return tbl.drop(*[c for c in tbl.columns if c.startswith("_")])


def _canon(tbl: ibis.Table, name: str) -> ibis.Table:
    spec = schema.table(name)
    return tbl.select(*[c for c in tbl.columns if spec.allows(c)])


def _returns_by_status(returns: ibis.Table, config: AnalysisConfig, log: ShapeLog) -> ibis.Table:
    """The rows of a returns file whose status is a return (:mod:`.statuses`); the status
    values, their class and rows are kept for ``validate`` and the report, and the rows that are
    not returns (a closed or refused refund request) are counted in a note, not dropped
    silently."""
    cls = classify_return(returns.status, config.data.return_statuses)
    tagged = returns.mutate(_return_class=cls)
    seen = tagged.group_by(["status", "_return_class"]).aggregate(rows=tagged.count())
    log.return_statuses = [  # "orders": the count key of every status list validate prints
        {"value": "" if v is None else v, "class": c, "orders": int(n)}
        for v, c, n in sqlcache.fetch(seen.order_by([ibis.desc("rows"), "status"])).itertuples(
            index=False, name=None)]
    dropped = [s for s in log.return_statuses if s["class"] == "not_return"]
    if dropped:
        log.note("returns", t("data.shapes.note_not_returns", rows=sum(s["orders"] for s in dropped),
                              values=", ".join(s["value"] for s in dropped)))
    kept = tagged.filter(tagged._return_class == "return")
    return kept.drop("_return_class", "status")


def _stack(own: ibis.Table, derived: ibis.Table) -> ibis.Table:
    """The rows of an export's own table (returns, surveys) and those derived from another
    file (negative order lines, reviews), over the columns of both: a column one side lacks
    is null there (a returns file without ``reason``, a survey without ``csat`` beside
    reviews' scores, or the survey's ``nps`` that the reviews do not have), never a crash
    or a dropped column; the derived side takes the own table's types."""
    cols = [*derived.columns, *[c for c in own.columns if c not in derived.columns]]
    types = {**{c: derived[c].type() for c in derived.columns}, **{c: own[c].type() for c in own.columns}}

    def fill(tbl: ibis.Table) -> ibis.Table:
        return tbl.select(*[(tbl[c].cast(types[c]) if c in tbl.columns
                             else ibis.null(types[c])).name(c) for c in cols])

    return ibis.union(fill(own), fill(derived))


STORED_ORDERS = "ls__orders_all"
"""The orders, stored once; ``ls_orders``, ``ls_transactions`` (and ``ls_order_lines``) may be
views of it."""


def apply(tables: dict[str, ibis.Table], config: AnalysisConfig,
          con: BaseBackend | None = None, stored_name: str = STORED_ORDERS,
          sources: Sequence[str] = (),
          ) -> tuple[dict[str, ibis.Table], list[ibis.Table], ShapeLog]:
    """Shape the accepted tables; see the module docstring.

    With ``con``, the orders are materialised once as the table ``stored_name`` and the outputs
    that are only filters of it (``orders``, ``transactions``, and ``order_lines`` when every order
    is one row) are listed in ``log.views``: the caller stores them as views, so that ten million
    orders are held once, not three times. ``sources`` (the file names the ``_source`` column
    takes) lets the stored orders hold each row's file as its index in that list.
    """
    log = ShapeLog()
    parts: list[ibis.Table] = []
    out = {k: v for k, v in tables.items() if k not in schema.RELATED_TABLES}
    related = {k: tables[k] for k in schema.RELATED_TABLES if k in tables}
    if "returns" in out and "status" in out["returns"].columns:
        out["returns"] = _returns_by_status(out["returns"], config, log)
    tx = tables.get("transactions")
    for name in related:
        need = _NEEDS[name]
        if need not in tables:
            log.unused.append((name, t("data.shapes.unused_related", table=name, needs=need)))
    if tx is None:
        return {k: _drop_meta(v) for k, v in out.items()}, parts, log

    customers = tables.get("customers")
    pmap = persons(customers, log) if customers is not None else None
    if pmap is not None and "customer_id" in tx.columns:
        known = tx.filter(tx.customer_id.notnull())
        guests = tx.filter(tx.customer_id.isnull())
        known = match(known, "transactions", "customer_id", pmap, "customers", "cid", log, parts)
        known = known.left_join(pmap, known.customer_id == pmap.cid)
        known = known.mutate(customer_id=known.pid).drop("cid", "pid")
        tx = known.union(guests)
        out["customers"] = customers_by_person(customers)

    external = None
    pay, items = related.get("payments"), related.get("order_items")
    if pay is not None:
        pay = match(pay, "payments", "order_id", tx, "transactions", "order_id", log, parts)
        external = payment_amounts(pay).select("order_id", "ext_amount")
    item_rows = None
    if items is not None:
        items = match(items, "order_items", "order_id", tx, "transactions", "order_id", log, parts)
        item_rows = item_lines(items, related.get("products"), log, parts)
        if external is None:
            external = item_amounts(item_rows)
    elif "products" in related:
        products = related["products"]
        if "product_id" in tx.columns and "category" in products.columns:
            tx = product_categories(tx, products, "transactions", log)
        else:
            log.unused.append(("products", t("data.shapes.unused_related", table="products",
                                             needs="order_items")))

    def store(expr: ibis.Table) -> ibis.Table:
        assert con is not None
        if not sources or SOURCE not in expr.columns:
            return sqlcache.create_table(con, stored_name, expr, overwrite=True)
        # the file name as its index: a long path repeated on ten million rows held ~500 MB
        code = ibis.cases(*[(expr[SOURCE] == n, i) for i, n in enumerate(sources)],
                          else_=ibis.null("int32"))
        stored = sqlcache.create_table(con, stored_name, expr.mutate(**{SOURCE: code.cast("int32")}),
                                       overwrite=True)
        return stored.mutate(**{SOURCE: source_names(stored[SOURCE], sources)})

    res = shape_lines(tx, config, external, store if con is not None else None)
    parts.extend(res.quarantine)
    orders = res.orders
    if item_rows is not None:
        cats = item_rows.group_by("order_id").aggregate(
            icat=item_rows.category.min() if "category" in item_rows.columns else ibis.null("string"),
            ilines=item_rows.count(), iqty=item_rows._qty.sum())
        cats = cats.rename(_cid="order_id")
        orders = orders.left_join(cats, orders.order_id == cats._cid).drop("_cid")
        own_cat = orders.category if "category" in orders.columns else ibis.null("string")
        orders = orders.mutate(category=ibis.coalesce(own_cat, orders.icat),
                               lines=ibis.coalesce(orders.ilines, orders.lines),
                               quantity=ibis.coalesce(orders.iqty, orders.quantity))
        orders = orders.drop("icat", "ilines", "iqty")
        line_src = item_rows.select(
            order_id=item_rows.order_id,
            product_id=item_rows.product_id if "product_id" in item_rows.columns else ibis.null("string"),
            category=item_rows.category if "category" in item_rows.columns else ibis.null("string"),
            quantity=item_rows._qty, amount=item_rows._value)
        orders = orders.cache()  # a join of the stored orders: computed once
    else:
        line_src = res.lines
        if con is not None:
            log.views.update({"orders", "transactions"})

    returns = res.returns
    if "returns" in out:
        own = out["returns"]
        if "return_ts" not in own.columns:  # a list of returned orders: dated by its orders
            own = _dated_by_order(_once_per_order(own, log), orders, log, parts)
        elif f"{BAD}return_ts" in own.columns:
            own = _undated_returns(own, orders, log, parts)
        if "customer_id" not in own.columns:
            who = orders.select(rid=orders.order_id, rcust=orders.customer_id)
            own = own.left_join(who, own.order_id == who.rid).rename(customer_id="rcust").drop("rid")
        returns = _stack(_canon(own, "returns"), returns)
    # the order figures count every return: the order file's own and the returns file's
    _summarise(orders, returns, res.line_file, log)
    # whether any order has a customer: the first one found answers (not a count of them all);
    # a file whose every row was quarantined has no order to tell: its customer column still
    # makes it a purchase log (else the report took it for an order report without buyer ids)
    has_customers = ("customer_id" in tx.columns
                     and (count(orders.filter(~orders.is_guest).limit(1)) > 0
                          or count(orders.limit(1)) == 0))
    out["orders"] = _canon(orders, "orders")
    out["returns"] = returns

    sale = orders.filter(orders.is_sale & ~orders.is_guest)

    if has_customers:
        out["transactions"] = _canon(sale, "transactions")
        if res.one_line_orders and item_rows is None:  # the sale order row is its line
            one = sale.filter(sale._n_sale > 0)
            out["order_lines"] = one.select(
                order_id=one.order_id, customer_id=one.customer_id, order_ts=one.order_ts,
                product_id=one.product_id if "product_id" in one.columns else ibis.null("string"),
                category=one.category if "category" in one.columns else ibis.null("string"),
                quantity=one.quantity, amount=one._lv)
            if con is not None:
                log.views.add("order_lines")
        else:
            o = sale.select(oid=sale.order_id, ocust=sale.customer_id, ots=sale.order_ts)
            lines = line_src.join(o, line_src.order_id == o.oid)
            out["order_lines"] = lines.select(
                order_id=lines.order_id, customer_id=lines.ocust, order_ts=lines.ots,
                product_id=lines.product_id, category=lines.category, quantity=lines.quantity,
                amount=lines.amount)
        has_cat = "category" in tx.columns or (item_rows is not None and "category" in item_rows.columns)
        if not has_cat:  # no categories at all: cross-selling says so instead of showing zeros
            out["order_lines"] = out["order_lines"].drop("category")
        if "reviews" in related:
            answers = reviews_to_surveys(related["reviews"], orders, log, parts)
            if "surveys" in out:
                answers = _stack(out["surveys"], answers)
            out["surveys"] = answers
    else:
        out.pop("transactions", None)
        log.no_customer_reason = t("data.shapes.note_no_customer")
        log.note("transactions", log.no_customer_reason)
        if "reviews" in related:
            log.unused.append(("reviews", log.no_customer_reason))
    return {k: _drop_meta(v) for k, v in out.items()}, parts, log


def _dated_by_order(own: ibis.Table, orders: ibis.Table, log: ShapeLog,
                    parts: list[ibis.Table], note: str | None = None) -> ibis.Table:
    """A returns file without a return date (a list of returned order ids): each return takes
    its order's date and, when it has no amount, the order's amount (the whole order returned).
    A return whose order is not in the orders has no date: quarantined (``missing_required``).
    ``note``: the note that says so (default: the whole file has no date)."""
    o = orders.select(_rid=orders.order_id, _rts=orders.order_ts, _ramt=orders.amount)
    j = own.left_join(o, own.order_id == o._rid)
    lost = j.filter(j._rid.isnull())
    parts.append(quarantine(lost, "returns", "return_ts", None, "missing_required",
                            t("data.shapes.detail_return_undated")))
    kept = j.filter(j._rid.notnull())
    amount = ibis.coalesce(kept.amount, kept._ramt) if "amount" in kept.columns else kept._ramt
    kept = kept.mutate(return_ts=kept._rts, amount=amount).drop("_rid", "_rts", "_ramt")
    log.note("returns", note or t("data.shapes.note_dated_by_order"))
    return kept


def _once_per_order(own: ibis.Table, log: ShapeLog) -> ibis.Table:
    """The first row (by file and line) of each order of a list of returned orders; the rows
    repeating an order (Superstore's Returns sheet lists each returned line) are counted in a
    note, not quarantined: they are not wrong, and the order is returned once."""
    first = own.mutate(_rk=ibis.row_number().over(group_by=own.order_id,
                                                   order_by=[own[SOURCE], own[LINE]]))
    again = first.filter(first._rk > 0)
    row = sqlcache.fetch(again.aggregate(n=again.count(), line=again[LINE].min())).iloc[0]
    if int(row["n"]) > 0:
        log.note("returns", t("data.shapes.note_returns_repeated", count=int(row["n"]),
                              line=int(row["line"])))
    return first.filter(first._rk == 0).drop("_rk")


def _undated_returns(own: ibis.Table, orders: ibis.Table, log: ShapeLog,
                     parts: list[ibis.Table]) -> ibis.Table:
    """The rows of a returns file with a date column that have no usable date: a date that
    cannot be read is quarantined (``unparseable``, with the value and why); an empty one is
    dated by its order, as :func:`_dated_by_order` dates a file without the column, and counted
    in a note (a return of unknown date was kept with none before, and left out of every
    period's figures without a word)."""
    bad = own[f"{BAD}return_ts"]
    unread = own.filter(bad.notnull())
    parts.append(quarantine(unread, "returns", "return_ts", unread[f"{BAD}return_ts"], "unparseable",
                            unreadable_detail(unread, "return_ts", "timestamp")))
    own = own.filter(bad.isnull())
    empty = own.filter(own.return_ts.isnull())
    first = sqlcache.fetch(empty.aggregate(n=empty.count(), line=empty[LINE].min(),
                                           file=empty[SOURCE].argmin(empty[LINE]))).iloc[0]
    if int(first["n"]) == 0:
        return own
    note = f"{first['file']}: " + t("data.shapes.note_dated_by_order_rows", count=int(first["n"]),
                                     line=int(first["line"]))
    dated = _dated_by_order(empty.drop("return_ts"), orders, log, parts, note)
    dated = dated.select(*[dated[c].cast(own[c].type()).name(c) for c in own.columns])
    return own.filter(own.return_ts.notnull()).union(dated)


def _summarise(orders: ibis.Table, returns: ibis.Table, line_file: bool, log: ShapeLog) -> None:
    """Order-level figures and the status values seen, for the report and ``validate``."""
    o = orders
    sale = o.is_sale
    agg = o.aggregate(
        orders_total=o.count(),
        sale_orders=ibis.ifelse(sale, 1, 0).sum(),
        not_sale_orders=ibis.ifelse(~sale, 1, 0).sum(),
        gross_revenue=money_sum(ibis.cases((sale, o.amount), else_=0.0)),
        guest_orders=ibis.ifelse(sale & o.is_guest, 1, 0).sum(),
        guest_revenue=money_sum(ibis.cases((sale & o.is_guest, o.amount), else_=0.0)),
        customers=ibis.cases((sale & ~o.is_guest, o.customer_id), else_=ibis.null("string")).nunique(),
        lines=o.lines.sum(),
    )
    agg = sqlcache.fetch(agg).iloc[0]
    r = sqlcache.fetch(returns.aggregate(n=returns.count(), amount=money_sum(returns.amount))).iloc[0]
    summary = {k: (int(v) if k not in ("gross_revenue", "guest_revenue") else float(v or 0.0))
               for k, v in agg.items() if v is not None}
    summary["returns"] = int(r["n"])
    summary["returns_amount"] = 0.0 if pd.isna(r["amount"]) else float(r["amount"])
    summary["net_revenue"] = summary["gross_revenue"] - summary["returns_amount"]
    summary["line_file"] = line_file
    log.orders = summary
    st = o.group_by(["status", "status_class"]).aggregate(rows=o.count()).order_by(ibis.desc("rows"))
    log.statuses = [{"value": "" if v is None else v, "class": c, "orders": int(n)}
                    for v, c, n in sqlcache.fetch(st).itertuples(index=False, name=None)]
    if line_file:
        log.note("transactions", t("data.shapes.note_lines", lines=int(summary.get("lines", 0)),
                                   orders=summary["orders_total"]))
    _ = (LINE, SOURCE)
