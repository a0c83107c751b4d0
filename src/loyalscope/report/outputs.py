"""Every output of one analysis in one folder: the file set `loyalscope analyze`, `make demo`
and the web jobs all write (one code path, so they cannot drift apart)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from loyalscope.report.excel import write_excel
from loyalscope.report.html import write_html
from loyalscope.report.targets import write_target_lists

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis
    from loyalscope.data.dataset import Dataset


def write_outputs(analysis: Analysis, dataset: Dataset, out: Path, lang: str) -> dict[str, Path]:
    """Write ``analysis.json`` and ``customers.parquet`` (:meth:`Analysis.save`), the HTML report
    in ``lang`` (``report.html``) and in the other language (``report.<other>.html``), the Excel
    workbook and the quarantined rows (``quarantine.csv``) into ``out``; return their paths."""
    from loyalscope.data.load import write_quarantine

    out.mkdir(parents=True, exist_ok=True)
    paths = dict(analysis.save(out))
    other = "en" if lang == "zh" else "zh"
    paths["report"] = write_html(analysis, out / "report.html", lang)
    paths[f"report_{other}"] = write_html(analysis, out / f"report.{other}.html", other)
    paths["workbook"] = write_excel(analysis, out / "loyalscope.xlsx", lang,
                                    dataset.quality.quarantine)
    paths["quarantine"] = write_quarantine(dataset.quality, out / "quarantine.csv")
    paths.update({f"targets_{rule}": p for rule, p in write_target_lists(analysis, out / "targets", lang).items()})
    return paths
