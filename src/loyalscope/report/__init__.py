"""Renderers of an Analysis: self-contained HTML, Excel workbook, scored customers, JSON."""

from loyalscope.report.excel import write_excel
from loyalscope.report.html import render_html, write_html

__all__ = ["render_html", "write_excel", "write_html"]
