"""State shared by the sections of one analysis run."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.config import AnalysisConfig
from loyalscope.results import Section


@dataclass
class SectionContext:
    """What a section can read from the sections before it, and add for the ones after it.

    ``customers`` is the scored-customer table (one row per customer_id); sections add
    columns to it (``frequency``, ``p_alive``, ``clv``, ``rfm_segment`` ...) and it is written
    to ``customers.parquet``. ``results`` holds fitted models and intermediate tables by name.
    """

    config: AnalysisConfig
    customers: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)

    _ids: tuple[Any, pd.Index] | None = field(default=None, init=False, repr=False, compare=False)

    def customer_index(self) -> pd.Index:
        """The ids of ``customers`` as a text index (object dtype), built once and reused while
        the table's id column is the same array.

        Each look-up by id used to set ``customer_id`` as the index again: a new index, whose
        hash table pandas built again (0.3-0.5 s at a million customers, and slower from the
        table's ``string`` column than from text objects). Frames whose ids are the same text
        objects (the summaries' ids are shared, :func:`loyalscope.metrics._base.shared_ids`)
        compare equal to it in one pass of pointer checks."""
        if self.customers is None:
            raise ValueError("no scored customers yet: add a frame with add_customer_columns first")
        col = self.customers["customer_id"].array
        if self._ids is None or self._ids[0] is not col:
            self._ids = (col, pd.Index(col.to_numpy(dtype=object), dtype=object, name="customer_id"))
        return self._ids[1]

    def customer_values(self, columns: list[str], ids: Any) -> pd.DataFrame:
        """``columns`` of ``customers`` for ``ids`` (a frame indexed by them, in their order;
        missing customers as ``reindex`` fills them): what
        ``customers.set_index("customer_id")[columns].reindex(ids)`` gives, from the index built
        once (:meth:`customer_index`)."""
        assert self.customers is not None
        return self.customers[list(columns)].set_axis(self.customer_index()).reindex(ids)

    def add_customer_columns(self, frame: pd.DataFrame) -> None:
        """Join ``frame`` (with a ``customer_id`` column) onto ``customers``: its ids as text,
        the columns ``customers`` does not hold yet, one row per customer of ``customers``
        (a left join; what a merge on ``customer_id`` gives)."""
        if self.customers is None:
            first = frame.copy()
            first["customer_id"] = first["customer_id"].astype("string")
            self.customers = first.reset_index(drop=True)
            return
        cols = [c for c in frame.columns if c != "customer_id" and c not in self.customers.columns]
        ids = pd.Index(_text_ids(frame["customer_id"]), dtype=object, name="customer_id")
        index = self.customer_index()
        if len(ids) == len(index) and index.equals(ids):
            # the same customers in the same order (summaries sorted by id): what the merge
            # gives, without it
            self._assign(frame[cols].set_axis(self.customers.index))
            return
        if ids.is_unique and index.is_unique:
            # a left join on a key: each customer's row of ``frame`` gathered (missing: the
            # merge's fill and types). The merge copied every column already there (40 at the
            # strategy step: 1.8 s at a million customers)
            gathered = frame[cols].set_axis(ids).reindex(index)
            self._assign(gathered.set_axis(self.customers.index))
            return
        keyed = frame[["customer_id", *cols]].assign(customer_id=frame["customer_id"].astype("string"))
        self.customers = self.customers.merge(keyed, on="customer_id", how="left")

    def _assign(self, added: pd.DataFrame) -> None:
        """Columns of ``added`` (indexed as ``customers``) into ``customers``, column by column:
        pd.concat copied (and consolidated) every column already there, the peak of the whole
        run at 1M customers (+0.5-0.7 GB)."""
        assert self.customers is not None
        with warnings.catch_warnings():  # "highly fragmented" past 100 blocks: only slower to copy
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            for c in added.columns:
                self.customers[c] = added[c]


def _text_ids(ids: pd.Series) -> np.ndarray:
    """``ids`` as text objects, as ``astype("string")`` writes them (a missing id as ``pd.NA``):
    the ids themselves when they already are text (no copy of a million objects)."""
    values = ids.to_numpy()
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return ids.astype("string").to_numpy(dtype=object)
