"""Related exports joined on shared keys: payments, order items, products, reviews, persons.

Each join is counted (rows matched, rows not matched) and every row that matches nothing is
quarantined with reason ``unmatched_key`` and the key it lacked, so that rows read = accepted
+ quarantined still holds per file.

- payments (several per order, instalments): order amount = sum of ``amount`` per order.
- order items: one row per item; line amount = ``amount``, else ``quantity x unit_price``, else
  ``unit_price`` (one unit), plus ``freight``; category from the item or from products.
- reviews: a 1-5 score keyed by order becomes a survey answer (``csat``, never NPS) of that
  order's customer, answered at the review time (else the order time).
- persons: a customers file with both ``customer_id`` (an account or per-order id) and
  ``person_id`` (Olist ``customer_unique_id``) resolves orders to persons: customer-level analyses
  count persons.
"""

from __future__ import annotations

import ibis

from loyalscope.data.shapes._common import Join, ShapeLog, count, quarantine
from loyalscope.engine import anti_join, semi_join
from loyalscope.i18n import t


def _unmatched(tbl: ibis.Table, name: str, key: str, right: str) -> ibis.Table:
    return quarantine(tbl, name, key, tbl[key], "unmatched_key",
                      t("data.shapes.detail_unmatched", right=right, key=key))


def match(left: ibis.Table, name: str, key: str, right: ibis.Table, right_name: str,
          right_key: str, log: ShapeLog, parts: list[ibis.Table],
          quarantine_unmatched: bool = True) -> ibis.Table:
    """Rows of ``left`` whose ``key`` is in ``right``; the others quarantined; the join logged."""
    keys = right.select(_k=right[right_key]).distinct()
    hit = semi_join(left, left[key], keys._k)
    miss = anti_join(left, left[key], keys._k)
    n_hit, n_miss = count(hit), count(miss)
    log.joins.append(Join(f"{name}.{key}", right_name, key, n_hit, n_miss,
                          "quarantined" if quarantine_unmatched else "kept"))
    if quarantine_unmatched:
        if n_miss:
            parts.append(_unmatched(miss, name, key, right_name))
        return hit
    return left


def payment_amounts(pay: ibis.Table) -> ibis.Table:
    """``order_id``, ``ext_amount`` (sum of payments), ``payments`` (count)."""
    return pay.group_by("order_id").aggregate(ext_amount=pay.amount.sum(), payments=pay.count())


def item_lines(items: ibis.Table, products: ibis.Table | None, log: ShapeLog,
               parts: list[ibis.Table]) -> ibis.Table:
    """Item rows with ``category`` (from products when absent) and a line ``amount``."""
    if products is not None and "product_id" in items.columns and "category" in products.columns:
        items = product_categories(items, products, "order_items", log)
    qty = items.quantity if "quantity" in items.columns else ibis.null("float64")
    price = items.unit_price if "unit_price" in items.columns else ibis.null("float64")
    amount = items.amount if "amount" in items.columns else ibis.null("float64")
    freight = items.freight if "freight" in items.columns else ibis.literal(0.0)
    value = ibis.coalesce(amount, qty * price, price)
    return items.mutate(_value=value, _paid=value + freight.fill_null(0.0),
                        _qty=ibis.coalesce(qty, ibis.literal(1.0)))


def product_categories(rows: ibis.Table, products: ibis.Table, table: str,
                       log: ShapeLog) -> ibis.Table:
    """``rows`` (order items, or the lines of a purchase log such as dunnhumby's
    ``transaction_data.csv``) with ``category`` from products (``product.csv``: PRODUCT_ID,
    DEPARTMENT ...) where their own is empty; the join is reported (matched / not matched,
    unmatched rows kept without a category). Products' ids are unique (duplicates are
    quarantined before), so no row is repeated."""
    n_known = count(semi_join(rows, rows.product_id, products.product_id))
    log.joins.append(Join(f"{table}.product_id", "products", "product_id", n_known,
                          count(rows) - n_known, "kept"))
    cat = products.select(pid=products.product_id, pcat=products.category)
    rows = rows.left_join(cat, rows.product_id == cat.pid)
    own = rows.category if "category" in rows.columns else ibis.null("string")
    return rows.mutate(category=ibis.coalesce(own, rows.pcat)).drop("pid", "pcat")


def item_amounts(lines: ibis.Table) -> ibis.Table:
    """``order_id``, ``ext_amount`` = sum of item amounts with freight."""
    return lines.group_by("order_id").aggregate(ext_amount=lines._paid.sum())


def persons(customers: ibis.Table, log: ShapeLog) -> ibis.Table | None:
    """``customer_id`` -> ``person_id`` when the customers file has person ids (else None)."""
    if "person_id" not in customers.columns:
        return None
    m = customers.select(cid=customers.customer_id,
                         pid=ibis.coalesce(customers.person_id, customers.customer_id)).distinct()
    stats = m.aggregate(a=m.cid.nunique(), p=m.pid.nunique()).execute().iloc[0]
    log.note("customers", t("data.shapes.note_persons", accounts=int(stats["a"]),
                            persons=int(stats["p"]), column="person_id"))
    return m


def customers_by_person(customers: ibis.Table) -> ibis.Table:
    """One customer row per person (attributes of the person's first account row)."""
    c = customers.mutate(customer_id=ibis.coalesce(customers.person_id, customers.customer_id))
    aggs = {col: c[col].min() for col in c.columns if col not in ("customer_id", "person_id")}
    return c.group_by("customer_id").aggregate(**aggs)


def reviews_to_surveys(reviews: ibis.Table, orders: ibis.Table, log: ShapeLog,
                       parts: list[ibis.Table]) -> ibis.Table:
    """Survey answers (``response_id``, ``customer_id``, ``answered_ts``, ``csat``) from reviews."""
    rv = match(reviews, "reviews", "order_id", orders, "orders", "order_id", log, parts)
    o = orders.select(oid=orders.order_id, ocust=orders.customer_id, ots=orders.order_ts)
    j = rv.join(o, rv.order_id == o.oid)
    guest = j.filter(j.ocust.isnull())
    if count(guest):
        parts.append(quarantine(guest, "reviews", "order_id", guest.order_id, "unmatched_key",
                                t("data.shapes.detail_guest_review")))
    j = j.filter(j.ocust.notnull())
    ts = j.answered_ts if "answered_ts" in j.columns else ibis.null("timestamp")
    return j.select(response_id=j.review_id, customer_id=j.ocust,
                    answered_ts=ibis.coalesce(ts, j.ots), csat=j.score.cast("float64"))
