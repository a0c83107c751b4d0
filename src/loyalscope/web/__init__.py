"""The web dashboard: ``create_app(state_dir)`` (FastAPI), served by ``loyalscope serve``.

Datasets (uploads or server paths) and analyses (background jobs) are kept in SQLAlchemy; pages
and ``/api`` read finished analyses from their output folders (``analysis.json`` and
``customers.parquet``), so web, report and CLI show the same numbers.
"""

from loyalscope.web.app import create_app

__all__ = ["create_app"]
