"""The Typer application object and helpers shared by the command modules."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from loyalscope.config import AnalysisConfig
from loyalscope.errors import ConfigError, LoyalscopeError, SchemaError
from loyalscope.i18n import t

if TYPE_CHECKING:  # pandas loads when a command reads a file, not for --help
    import pandas as pd

CONFIG_NAME = "loyalscope.toml"


def discover_config(data: list[str] | tuple[str, ...] = ()) -> Path | None:
    """``loyalscope.toml`` beside the data (the folder given, or a file's folder), else in the
    working directory; None when there is none."""
    for item in data:
        if "://" in str(item):
            continue
        p = Path(item)
        folder = p if p.is_dir() else p.parent
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    cwd = Path.cwd() / CONFIG_NAME
    return cwd if cwd.is_file() else None


def load_config(config_path: Path | None, data: list[str] | tuple[str, ...] = (),
                **overrides: object) -> AnalysisConfig:
    """The ``--config`` file, else the discovered ``loyalscope.toml``, with CLI overrides."""
    return AnalysisConfig.load(config_path or discover_config(data), **overrides)


def mapped(df: Any, config: AnalysisConfig, table: str) -> Any:
    """``df`` with the headers named in ``[mapping.<table>]`` renamed to their canonical names
    (for the commands that read one file with pandas: ``fit``, ``survey``)."""
    ren = {src: canon for canon, src in (config.mapping.get(table) or {}).items() if src in df.columns}
    return df.rename(columns=ren) if ren else df


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (encoding and delimiter detected: UTF-8, GBK/GB18030 ...), Excel
    (.xlsx/.xls) or Parquet file into pandas."""
    import io

    import pandas as pd

    from loyalscope.data.intake.encoding import decide
    from loyalscope.data.sources import sniff_delimiter

    if not path.exists():
        raise ConfigError(t("survey.cli.no_file", path=str(path)), file=str(path),
                          fix=t("survey.cli.no_file_fix"))
    suffix = path.suffix.lower()
    encoding = ""
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(path)
        raw = path.read_bytes()
        encoding = decide(path).name  # intake's decision (BOMs, UTF-8, GB18030, Big5, ...)
        if encoding.startswith("utf-16") and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            encoding = "utf-16"  # the codec that reads and drops the byte-order mark
        header = raw.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
        return pd.read_csv(io.BytesIO(raw), encoding=encoding, sep=sniff_delimiter(header, suffix))
    except LoyalscopeError:
        raise
    except Exception as exc:  # pandas', the readers' and the OS's errors: said with their cause
        raise read_error(exc, path, encoding) from exc


def read_error(exc: BaseException, path: Path, encoding: str = "") -> SchemaError:
    """A file :func:`read_table` could not read, as an error that names the cause, the row where
    there is one, and the fix (it was "cannot read the data file: check the path" for every cause,
    or a traceback in the survey commands)."""
    import pandas as pd

    where = str(path)
    if isinstance(exc, pd.errors.EmptyDataError):
        return SchemaError(t("data.cli.read_empty"), file=where, fix=t("data.cli.read_empty_fix"))
    if isinstance(exc, pd.errors.ParserError):
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, saw = (int(g) for g in found.groups())
            return SchemaError(t("data.cli.read_fields", line=line, want=want, saw=saw), file=where, row=line,
                               fix=t("data.cli.read_fields_fix"))
        return SchemaError(t("data.cli.read_table"), file=where, value=str(exc)[:200],
                           fix=t("data.cli.read_fields_fix"))
    if isinstance(exc, UnicodeDecodeError):
        return SchemaError(t("data.cli.read_encoding", encoding=encoding or exc.encoding, at=exc.start), file=where,
                           fix=t("data.cli.read_encoding_fix"))
    if isinstance(exc, PermissionError | IsADirectoryError):
        return SchemaError(t("data.cli.read_denied"), file=where, fix=t("data.cli.read_denied_fix"))
    return SchemaError(t("data.cli.read_format", kind=path.suffix.lower() or "?"), file=where,
                       value=str(exc)[:200], fix=t("data.cli.read_format_fix"))


app = typer.Typer(
    name="loyalscope",
    help="Customer loyalty analysis / 客户忠诚度分析",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (numbers as numbers, dates as ISO strings)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=_default) + "\n")


def _default(obj: Any) -> Any:
    import datetime as dt

    import numpy as np
    import pandas as pd

    if isinstance(obj, (dt.date, dt.datetime, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if obj is pd.NA or obj is pd.NaT:
        return None
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def fail(exc: LoyalscopeError, as_json: bool = False) -> NoReturn:
    """Report a LoyalscopeError (as JSON on stdout when ``as_json``) and exit with 2."""
    if as_json:
        emit_json(exc.to_dict())
    else:
        # messages and fixes hold TOML such as [mapping.transactions]: printed verbatim, not as markup
        err_console.print(f"[bold red]{exc.kind()}[/]: {escape(exc.message)}")
        where = exc.location()
        if where:
            err_console.print(f"  [dim]{escape(where)}[/]")
        if exc.fix:
            err_console.print(f"  [green]Fix:[/] {escape(exc.fix)}")
    raise typer.Exit(code=2)


@app.callback()
def _root() -> None:
    """Customer loyalty analysis / 客户忠诚度分析."""
