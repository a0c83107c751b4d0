"""One analysis job, run as its own process (``python -m loyalscope.web.worker``) so that the
server can hold it to a memory and time limit and cancel it.

The job reads its orders as JSON on standard input (never the command line, where other users
of the machine could read a connection URL), writes its progress and final status to the app
database, and its outputs into the job's folder: the files of ``loyalscope analyze``, then the
dashboard payloads and the customer lookup table (computed once per analysis, see
:mod:`loyalscope.web.cache`).

What the user sees of a failure is a :class:`LoyalscopeError`'s message and fix; anything
unexpected becomes a generic message with a reference, its traceback goes to the server's log
(``<state>/logs/<id>.log``) with every secret masked.
"""

from __future__ import annotations

import json
import resource
import sys
import traceback
from pathlib import Path
from typing import Any

from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t, use_lang


class JobFailure(LoyalscopeError):
    """A job stopped by its limits, a connection that could not be read, or an internal error."""


def mask(text: str | None, hide: list[str]) -> str | None:
    """``text`` with every secret in ``hide`` replaced by ``***``."""
    if text is None:
        return None
    for secret in sorted(hide, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _limit_memory(mb: int) -> None:
    """A hard ceiling on private writable memory (twice the limit the server watches): a runaway
    allocation fails here with MemoryError before it can take the machine."""
    ceiling = (2 * mb + 1024) * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (ceiling, ceiling))
    except (ValueError, OSError):  # not permitted here: the server's watch still applies
        pass


def _check_duckdb_files(folder: Path) -> None:
    """A DuckDB file may hold views that read other files (``read_csv('/etc/...')``): refuse
    one with views, so a dataset reads nothing outside its own files."""
    import duckdb

    from loyalscope.web.confine import Refused, members

    for member in members(folder):
        if member.suffix.lower() not in (".duckdb", ".ddb", ".db"):
            continue
        con = duckdb.connect(str(member), read_only=True,
                             config={"enable_external_access": False})
        try:
            views = con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()
        finally:
            con.close()
        if views and views[0]:
            raise Refused(t("web.confine.duckdb_views", name=member.name), file=member.name,
                          fix=t("web.confine.duckdb_views_fix"))


def run(job: dict[str, Any]) -> None:
    """Run the analysis described by ``job`` (see :meth:`loyalscope.web.jobs.JobRunner.spec`)."""
    from loyalscope.web.store import Store

    store = Store(job["state_dir"], job.get("db_url"))
    analysis_id, lang, hide = job["id"], job["lang"], job.get("hide", [])

    def progress(section_id: str, i: int, n: int) -> None:
        store.update_analysis(analysis_id, step=section_id, step_index=i, step_total=n)

    with use_lang(lang):
        try:
            _analyse(job, progress)
        except LoyalscopeError as exc:
            store.update_analysis(analysis_id, status="failed", error_type=type(exc).__name__,
                                  error=mask(exc.message, hide), error_fix=mask(exc.fix, hide),
                                  error_where=mask(exc.location() or None, hide))
        except MemoryError:
            mb = job["memory_mb"]
            store.update_analysis(analysis_id, status="failed", error_type="MemoryLimit",
                                  error=t("web.jobs.memory", mb=mb), error_fix=t("web.jobs.memory_fix"))
        except Exception:
            sys.stderr.write(mask(traceback.format_exc(), hide) or "")
            store.update_analysis(analysis_id, status="failed", error_type="InternalError",
                                  error=t("web.jobs.unexpected", ref=analysis_id),
                                  error_fix=t("web.jobs.unexpected_fix"))
        else:
            store.update_analysis(analysis_id, status="done", step="done")


def open_dataset(job: dict[str, Any]) -> tuple[Any, Any]:
    """(Dataset, AnalysisConfig) of a job's dataset, read inside its confinement: an upload or
    server path re-checked against the data roots, with its folder's ``loyalscope.toml``
    confined to the folder; a named connection by its server-side URL, whose errors name the
    connection only. Shared by analysis and monitor jobs."""
    from loyalscope.config import AnalysisConfig
    from loyalscope.data.load import load
    from loyalscope.web.confine import check_members, confine_config

    kind, lang = job["kind"], job["lang"]
    folder: Path | None = None
    if kind == "connection":
        source: str = job["url"]
        config = AnalysisConfig.load(None, locale=lang)
    else:
        path = Path(job["source"])
        roots = [Path(r) for r in job["roots"]]
        check_members(path, roots)  # a symlink swapped in since the dataset was added
        folder = path if path.is_dir() else path.parent
        _check_duckdb_files(path)
        toml = folder / "loyalscope.toml"
        config = AnalysisConfig.load(toml if toml.is_file() else None, locale=lang)
        config = confine_config(config, folder)
        source = str(path)
    try:
        dataset = load(source, config=config)
    except LoyalscopeError:
        if kind == "connection":  # its text may name the host, port or URL: say only which one
            raise JobFailure(t("web.jobs.connection", name=job["source"]),
                             fix=t("web.jobs.connection_fix", name=job["source"])) from None
        raise
    except Exception as exc:
        if kind == "connection":
            sys.stderr.write(mask(traceback.format_exc(), job.get("hide", [])) or "")
            raise JobFailure(t("web.jobs.connection", name=job["source"]),
                             fix=t("web.jobs.connection_fix", name=job["source"])) from exc
        raise
    return dataset, config


def _analyse(job: dict[str, Any], progress: Any) -> None:
    from loyalscope.analysis import analyze
    from loyalscope.report.outputs import write_outputs
    from loyalscope.web.cache import build_caches

    lang = job["lang"]
    dataset, config = open_dataset(job)
    # no transactions left after validation: a clear answer pointing at quarantine.csv (the
    # output writer's check, as the CLI runs it; present once data intake's outputs land)
    from loyalscope.report import outputs

    require = getattr(outputs, "require_transactions", None)
    if require is not None:
        require(dataset, Path(job["out_dir"]))
    sections = tuple(job["sections"]) if job.get("sections") else None
    analysis = analyze(dataset, config, progress=progress, sections=sections)
    out = Path(job["out_dir"])
    write_outputs(analysis, dataset, out, lang)
    build_caches(out, Path(job["cache_dir"]))


def main() -> None:
    job = json.loads(sys.stdin.read())
    _limit_memory(int(job["memory_mb"]))
    run(job)


if __name__ == "__main__":
    main()
