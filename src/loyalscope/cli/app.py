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


def read_table(path: Path, config: AnalysisConfig | None = None) -> pd.DataFrame:
    """Read the one file of ``fit --format summary`` and ``survey nps / efa / pls`` into pandas,
    staged as ``analyze`` stages it (:func:`loyalscope.data.intake.stage`): CSV or text in any
    encoding it decides (UTF-8, GBK / GB18030, Big5, UTF-16 ...) and delimiter, Excel (the sheet
    holding the table, title rows skipped), Parquet, JSON, a .zip of one; a header of several rows
    (SurveyMonkey's label row, Qualtrics' question texts and import ids: the rows are combined) or
    of quoted cells wrapped over several lines; ``[data.columns]`` for a file without a header.
    Numbers read from text (CSV, spreadsheet cells) are numbers when every non-empty value of the
    column is one. The staging step's notes are in ``frame.attrs["notes"]``."""
    import pandas as pd

    from loyalscope.data.intake import stage

    if not path.exists():
        raise ConfigError(t("survey.cli.no_file", path=str(path)), file=str(path),
                          fix=t("survey.cli.no_file_fix"))
    if path.is_dir():
        raise read_error(IsADirectoryError(str(path)), path)
    staged = None
    try:
        staged = stage(path, config)[0]
        frame = _staged_frame(staged)
    except LoyalscopeError:
        raise
    except Exception as exc:  # pandas', the readers' and the OS's errors: said with their cause
        raise read_error(exc, path, staged.encoding.name if staged and staged.encoding else "") from exc
    if staged.line_column is not None:  # the staging step's line numbers, not the user's column
        frame = frame.drop(columns=[staged.line_column])
    if staged.format != "parquet" or staged.line_column is not None:  # text: numbers from text
        frame = pd.concat([_numbers_if_all(frame.iloc[:, j]) for j in range(frame.shape[1])], axis=1)
    frame.attrs["notes"] = list(staged.notes)
    return frame


def _staged_frame(staged: Any) -> pd.DataFrame:
    """The records of a staged file (:class:`loyalscope.data.intake.Staged`) as pandas reads
    them: a staged CSV after its header's lines, with the header the staging step combined."""
    import pandas as pd

    from loyalscope.data.readers import lf_line_ends
    from loyalscope.data.sources import header_delimiter, header_lines

    if staged.format == "parquet":
        return pd.read_parquet(staged.path)
    if staged.format == "jsonl":
        return pd.read_json(staged.path, lines=True, dtype=False)
    staged = lf_line_ends(staged)
    head = header_lines(staged)
    delim = header_delimiter(head, staged.name)
    if staged.header is None:
        return pd.read_csv(staged.path, sep=delim, encoding="utf-8-sig")
    with staged.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(staged.header_end):  # the header's physical lines
            fh.readline()
        try:
            return pd.read_csv(fh, sep=delim, header=None, names=list(staged.header), index_col=False)
        except pd.errors.ParserError as exc:  # its lines counted from the first after the header
            raise pd.errors.ParserError(re.sub(r"in line (\d+)", lambda m: f"in line {int(m[1]) + staged.header_end}",
                                               str(exc))) from exc


def _numbers_if_all(column: pd.Series) -> pd.Series:
    """``column`` as numbers when every non-empty value is one (as ``read_csv`` and
    ``read_excel`` type a column), a survey tool's mark of no answer (``(空)``,
    :data:`loyalscope.data.forms.NO_ANSWER`) read as empty; else as it is."""
    import pandas as pd

    if column.dtype != object:
        return column
    from loyalscope.data.forms import NO_ANSWER

    text = column.astype("string").str.strip()
    filled = text.notna() & (text != "") & ~text.isin(NO_ANSWER)  # 问卷星's (空): no answer
    if not filled.any():
        return column
    numbers = pd.to_numeric(text.where(filled), errors="coerce")
    return numbers if numbers[filled].notna().all() else column


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
