"""Every output of one analysis in one folder: the file set `loyalscope analyze`, `make demo`
and the web jobs all write (one code path, so they cannot drift apart).

Written atomically: every file goes to a temporary folder beside ``out`` (same file system)
and is moved into place only when all are complete, so a failure (a writer error, a full disk)
never leaves a half-written report or a truncated ``analysis.json``. A new ``out`` is the
temporary folder renamed; an existing ``out`` (which may hold other files, e.g. the demo's
``data/``) gets each output file replaced with ``os.replace``. A read-only, full or forbidden
folder is an :class:`~loyalscope.errors.OutputError` naming the folder and the fix.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from loyalscope.data.quality import QUARANTINE_COLUMNS
from loyalscope.errors import OutputError
from loyalscope.i18n import t
from loyalscope.report.customers_csv import write_customers_csv
from loyalscope.report.excel import MAX_TARGET_ROWS, target_lists, write_excel
from loyalscope.report.html import write_html
from loyalscope.report.targets import write_target_lists

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis
    from loyalscope.data.dataset import Dataset
    from loyalscope.data.quality import QualityReport

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED = (errno.EROFS, errno.EACCES, errno.EPERM)


def output_error(folder: Path, exc: OSError) -> OutputError:
    """The answer for an ``OSError`` met while writing into ``folder``."""
    if exc.errno in _FULL:
        key = "full"
    elif exc.errno in _DENIED:
        key = "read_only" if exc.errno == errno.EROFS else "denied"
    else:
        key = "other"
    return OutputError(t(f"report.outputs.{key}", folder=folder, error=exc.strerror or str(exc)),
                       file=str(folder), fix=t(f"report.outputs.{key}_fix", folder=folder))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _staging(out: Path) -> Path:
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
        tmp.chmod(0o777 & ~_umask())
    except OSError as exc:
        raise output_error(parent, exc) from exc
    return tmp


def _move_into_place(tmp: Path, out: Path, paths: dict[str, Path]) -> dict[str, Path]:
    if not out.exists():
        tmp.rename(out)
    else:
        for key, path in paths.items():
            os.replace(path, out / path.relative_to(tmp))
            paths[key] = out / path.relative_to(tmp)
        return paths
    return {key: out / path.relative_to(tmp) for key, path in paths.items()}


def write_outputs(analysis: Analysis, dataset: Dataset, out: Path, lang: str) -> dict[str, Path]:
    """Write ``analysis.json`` and ``customers.parquet`` (:meth:`Analysis.save`), the same table as
    ``customers.csv``, the HTML report in ``lang`` (``report.html``) and in the other language
    (``report.<other>.html``), the Excel workbook and the quarantined rows (``quarantine.csv``)
    into ``out``, atomically (see the module docstring); return their final paths."""
    from loyalscope.data.load import write_quarantine

    out = Path(out)
    tmp = _staging(out)
    try:
        # the scored-customer files (customers.parquet, and customers.csv, to which the
        # workbook's capped customer sheet points) are written by a second thread while this one
        # writes the reports: Arrow encodes and writes them without holding the interpreter
        # (-2 s of 9 at a million customers). That thread reads its own shallow copy of the
        # table, so that neither thread's pandas reorganises the other's column blocks.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="loyalscope-customers") as pool:
            tables = (pool.submit(_customer_files, analysis, tmp)
                      if analysis.customers is not None else None)
            paths = dict(analysis.save(tmp, customers=False))
            other = "en" if lang == "zh" else "zh"
            paths["report"] = write_html(analysis, tmp / "report.html", lang)
            paths[f"report_{other}"] = write_html(analysis, tmp / f"report.{other}.html", other)
            head, total = quarantine_head(dataset.quality, MAX_TARGET_ROWS)
            # the workbook's sheets and the CSV files list the same customers: grouped and
            # sorted once (0.5 s at a million scored customers)
            lists = target_lists(analysis)
            paths["workbook"] = write_excel(analysis, tmp / "loyalscope.xlsx", lang, head, total, lists)
            paths["quarantine"] = write_quarantine(dataset.quality, tmp / "quarantine.csv")
            targets = write_target_lists(analysis, tmp / "targets", lang, lists)
            if tables is not None:
                paths = {"analysis": paths.pop("analysis"), **tables.result(), **paths}
        existed = out.exists()
        paths = _move_into_place(tmp, out, paths)  # a new ``out`` takes tmp/targets with it
        if existed:
            _replace_targets(tmp, out)
        paths.update({f"targets_{rule}": out / "targets" / path.name for rule, path in targets.items()})
        return paths
    except OSError as exc:
        raise output_error(out, exc) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _customer_files(analysis: Analysis, tmp: Path) -> dict[str, Path]:
    """``customers.parquet`` and ``customers.csv`` in ``tmp``, from a shallow copy of the scored
    customers (the arrays are shared and only read)."""
    customers = analysis.customers
    assert customers is not None
    own = customers.copy(deep=False)
    return {"customers": analysis.save_customers(tmp / "customers.parquet", own),
            "customers_csv": write_customers_csv(own, tmp / "customers.csv")}


def quarantine_head(quality: QualityReport, limit: int) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` quarantined rows (by table, file and line) and the count of all: only
    the rows the workbook shows leave the engine (the whole quarantine goes to quarantine.csv
    in batches)."""
    q = quality.quarantine_table
    if q is None:
        frame = quality.quarantine
        return frame.head(limit), len(frame)
    total = int(q.count().execute())
    head = q.order_by([q.table, q.source_file, q.line]).limit(limit).to_pandas()
    head["line"] = head["line"].astype("int64")
    return head[QUARANTINE_COLUMNS], total


def _replace_targets(tmp: Path, out: Path) -> None:
    """Target lists are one set: an existing ``out/targets`` (a previous run's lists, some of
    which may name actions that no longer fire) is moved out of the way, into ``tmp`` (removed
    with it), so that only this run's lists remain after the move into place."""
    old = out / "targets"
    if old.is_dir():
        old.rename(tmp / ".targets.old")
    if (tmp / "targets").is_dir():
        (tmp / "targets").rename(old)


def require_transactions(dataset: Dataset, out: Path | None = None) -> None:
    """Stop with a clear answer when validation left no transactions.

    When ``out`` is given, ``quarantine.csv`` is written there first (atomically) so that the
    message can point at it.

    Raises
    ------
    DataQualityError
        "no transactions left after validation: see quarantine.csv".
    """
    from loyalscope.analysis import no_transactions_error, transactions_left
    from loyalscope.data.load import write_quarantine

    if transactions_left(dataset):
        return
    where = "quarantine.csv"
    if out is not None:
        out = Path(out)
        tmp = _staging(out)
        try:
            path = write_quarantine(dataset.quality, tmp / "quarantine.csv")
            where = str(_move_into_place(tmp, out, {"quarantine": path})["quarantine"])
        except OSError as exc:
            raise output_error(out, exc) from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    raise no_transactions_error(dataset, where)
