"""The web dashboard: ``create_app(state_dir, settings=WebSettings(...))`` (FastAPI), served by
``loyalscope serve``.

Safe to leave running: token or user authentication (:mod:`auth`, :mod:`guard`), data only
from uploads, the data roots and named connections (:mod:`confine`, :mod:`settings`), limits
on uploads and jobs (jobs run in their own processes, :mod:`jobs`, :mod:`worker`), CSRF
protection and a strict CSP. Datasets, analyses and users are kept in SQLAlchemy; pages and
``/api`` read finished analyses from their output folders (``analysis.json`` and
``customers.parquet``), through payloads computed once per analysis (:mod:`cache`) and one open
DuckDB connection per analysis (:mod:`customers`), so web, report and CLI show the same numbers.
"""

from loyalscope.web.app import create_app

__all__ = ["create_app"]
