"""What customers say, in the service and satisfaction sections: the themes of free texts that
separate dissatisfied from satisfied respondents and churned from retained complainants
(:func:`loyalscope.text.themes.themes`), each with its share in both groups, its trend and
example texts. Texts are survey-sized or complaint-sized, so they are read into pandas."""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.metrics.days import last_order_times
from loyalscope.metrics.scales import Scale, bottom_boxes, is_two_point, is_yes_no
from loyalscope.metrics.window import inactivity_days
from loyalscope.results import Section, Table, Text
from loyalscope.text.themes import Theme, themes
from loyalscope.text.tokens import HAN_RANGES, warm_up
from loyalscope.text.tokens import ready as tokenizer_ready

K = "themes."
MIN_TEXTS = 30


def _table(found: list[Theme], kind: str, title: str = "table") -> Table:
    frame = pd.DataFrame({
        "theme": [th.term for th in found],
        "share_focus": [th.share_focus for th in found],
        "share_other": [th.share_other for th in found],
        "trend": [th.trend for th in found],
        "examples": [" / ".join(th.examples) for th in found],
    })
    cols = {c: f"{K}col.{kind}.{c}" if c in ("share_focus", "share_other") else f"{K}col.{c}" for c in frame.columns}
    return Table(f"{K}{kind}.{title}", frame, cols, percent_columns=("share_focus", "share_other"),
                 units={"trend": "pp"}, note=f"{K}note", note_kw={"n_focus": f"{found[0].n_focus:,}",
                                                                   "n_other": f"{found[0].n_other:,}"})


def _add(section: Section, found: list[Theme], kind: str, n_texts: int, title: str = "table") -> None:
    if not found:
        section.add(Text(f"{K}{kind}.none", {"n": f"{n_texts:,}"}, style="note"))
        return
    top = found[0]
    section.add(Text(f"{K}{kind}.finding", {"theme": top.term, "focus": f"{top.share_focus:.0%}",
                                            "other": f"{top.share_other:.0%}", "z": f"{top.z:.1f}"},
                     style="finding"),
                _table(found, kind, title))
    section.data[f"themes_{kind}"] = [{"theme": th.term, "share_focus": th.share_focus,
                                       "share_other": th.share_other, "n_focus": th.n_focus,
                                       "n_other": th.n_other, "z": th.z, "trend": th.trend,
                                       "examples": th.examples} for th in found]


def chinese_texts(ds: Dataset) -> bool:
    """Whether the texts the themes read (survey comments, complaint texts) hold any Chinese
    character: a scan of those columns in the engine."""
    for table, column in (("surveys", "comment"), ("complaints", "text")):
        if ds.has(table, column):
            col = ds.table(table, column)[column]
            if bool(col.re_search(f"[{HAN_RANGES}]").any().execute()):
                return True
    return False


def warm_up_tokenizer(ds: Dataset) -> None:
    """Start loading the Chinese word segmenter in the background when the texts need it
    (:func:`loyalscope.text.tokens.warm_up`)."""
    if tokenizer_ready():
        return
    try:
        chinese = chinese_texts(ds)
    except Exception:  # only a head start: an engine without this regular expression skips it
        return
    if chinese:
        warm_up()


def survey_comment_themes(ds: Dataset, section: Section, csat: Scale | None) -> None:
    """Comments of dissatisfied respondents against the others.

    Parameters
    ----------
    ds : Dataset
        The data; its ``surveys.comment`` are read.
    section : Section
        Where the themes go.
    csat : Scale or None
        The scale of ``surveys.csat`` (None: no csat, or answers outside its scale). Dissatisfied:
        a CSAT answer in the bottom boxes of that scale (:func:`bottom_boxes`: 1-2 of 1-5, no of
        a yes / no question), else an NPS detractor (0-6).
    """
    if not ds.has("surveys", "comment"):
        return
    rating = "csat" if csat is not None else "nps" if ds.has("surveys", "nps") else None
    if rating is None:
        return
    t = ds.table("surveys", "comment", rating, "answered_ts")
    sv = t.select("comment", rating, quarter=quarter_label(t.answered_ts)).to_pandas()
    sv = sv[sv.comment.notna()]
    if len(sv) < MIN_TEXTS:
        return
    low = sv[rating] <= (bottom_boxes(csat) if csat is not None else 6)
    _add(section, themes(sv.comment, low.where(sv[rating].notna()), sv.quarter), "survey", len(sv),
         _survey_title(csat))


def _survey_title(csat: Scale | None) -> str:
    """The key of the survey themes' title: who the dissatisfied are on this question (it said
    "CSAT 1-2" for NPS detractors, the 0-4 of a 0-10 question and the 1 of a 1-2 one)."""
    if csat is None:
        return "table_nps"
    if is_yes_no(csat):
        return "table_yes_no"
    if is_two_point(csat):
        return "table_two_point"
    return "table" if (csat.low, csat.high) == (1, 5) else "table_scale"


def complaint_themes(ds: Dataset, section: Section) -> None:
    """Complaint texts of customers who churned (no order within the inactivity window before the
    analysis date) against those of customers who stayed."""
    if not ds.has("complaints", "text") or not ds.has("transactions"):
        return
    c = ds.table("complaints", "customer_id", "text", "opened_ts")
    c = c.filter(c.text.notnull())
    # each complainant's last order, joined in the engine: complaint-sized rows come back,
    # not one row per customer
    last = last_order_times(ds).rename(_cid="customer_id", _last="last_ts")
    j = c.left_join(last, c.customer_id == last._cid)
    order = ["complaint_id"] if "complaint_id" in c.columns else []  # the file's order
    cp = j.order_by([*order, "opened_ts", "customer_id", "text"]).select(
        "text", "_last", quarter=quarter_label(ibis._.opened_ts)).to_pandas()
    if len(cp) < MIN_TEXTS:
        return
    cut = pd.Timestamp(ds.analysis_date - timedelta(days=inactivity_days(ds)))
    last_ts = pd.to_datetime(cp["_last"])
    churned = (last_ts < cut).astype(object).where(last_ts.notna(), np.nan)
    _add(section, themes(cp.text, churned, cp.quarter), "complaint", len(cp))


def quarter_label(ts: ir.TimestampValue) -> ir.StringValue:
    """The calendar quarter of ``ts`` written as pandas writes a quarterly period (``2024Q3``;
    ``NaT`` without a time), computed in the engine."""
    return (ts.year().cast("string") + "Q" + ts.quarter().cast("string")).fill_null("NaT")
