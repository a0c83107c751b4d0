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
from pathlib import Path
from typing import TYPE_CHECKING

from loyalscope.errors import DataQualityError, OutputError
from loyalscope.i18n import t
from loyalscope.report.excel import write_excel
from loyalscope.report.html import write_html

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis
    from loyalscope.data.dataset import Dataset

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
    """Write ``analysis.json`` and ``customers.parquet`` (:meth:`Analysis.save`), the HTML report
    in ``lang`` (``report.html``) and in the other language (``report.<other>.html``), the Excel
    workbook and the quarantined rows (``quarantine.csv``) into ``out``, atomically (see the
    module docstring); return their final paths."""
    from loyalscope.data.load import write_quarantine

    out = Path(out)
    tmp = _staging(out)
    try:
        paths = dict(analysis.save(tmp))
        other = "en" if lang == "zh" else "zh"
        paths["report"] = write_html(analysis, tmp / "report.html", lang)
        paths[f"report_{other}"] = write_html(analysis, tmp / f"report.{other}.html", other)
        paths["workbook"] = write_excel(analysis, tmp / "loyalscope.xlsx", lang,
                                        dataset.quality.quarantine)
        paths["quarantine"] = write_quarantine(dataset.quality, tmp / "quarantine.csv")
        return _move_into_place(tmp, out, paths)
    except OSError as exc:
        raise output_error(out, exc) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def require_transactions(dataset: Dataset, out: Path | None = None) -> None:
    """Stop with a clear answer when validation left no transactions.

    When ``out`` is given, ``quarantine.csv`` is written there first (atomically) so that the
    message can point at it.

    Raises
    ------
    DataQualityError
        "no transactions left after validation: see quarantine.csv".
    """
    from loyalscope.analysis import transactions_left
    from loyalscope.data.load import write_quarantine

    if transactions_left(dataset):
        return
    rep = dataset.quality.tables.get("transactions")
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
    read = rep.rows_read if rep is not None else 0
    raise DataQualityError(t("report.outputs.no_transactions", path=where, rows=read),
                           fix=t("report.outputs.no_transactions_fix", path=where))
