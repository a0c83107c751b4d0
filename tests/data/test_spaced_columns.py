"""Text files whose columns are separated by runs of spaces, and files without a header line
whose columns ``[data.columns]`` names (CDNOW's ``CDNOW_master.txt`` and
its 1/10th sample, the data of Fader, Hardie & Lee's BG/NBD paper: ``  00004 0001 19970101  2
29.33``).

Before, such a file was one column named by its whole first line ("Headers found: 00004 0001
19970101  2   29.33 ... no plausible column"), even with a header line added. Now its columns
are read at runs of spaces (a note says so), a missing header is named as such with a fix that
keeps the file's own separator, and the published BG/NBD fit comes out of the raw file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.config import AnalysisConfig
from loyalscope.data.intake import stage
from loyalscope.errors import ConfigError, SchemaError
from loyalscope.i18n import use_lang

CDNOW = Path(__file__).parent / "cdnow_sample_transactions.txt"
HEADER = "customer_id sample_id order_ts quantity amount\n"
COLUMNS = '[data.columns]\n"cdnow.txt" = ["customer_id", "sample_id", "order_ts", "quantity", "amount"]\n'
runner = CliRunner()


@pytest.fixture(autouse=True)
def _english():
    with use_lang("en"):
        yield


def test_without_a_header_the_error_says_so_and_how_to_name_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "transactions.txt"
    path.write_bytes(CDNOW.read_bytes())
    with pytest.raises(SchemaError) as err:
        ls.load(path)
    assert "no header line" in err.value.message and err.value.row == 1
    assert "spaces" in (err.value.fix or "")


def test_the_cdnow_sample_with_a_header_is_read_at_runs_of_spaces(tmp_path: Path) -> None:
    path = tmp_path / "transactions.txt"
    path.write_text(HEADER + CDNOW.read_text(encoding="ascii"), encoding="ascii")
    ds = ls.load(path, now=pd.Timestamp("1998-07-01"))
    rep = ds.quality.tables["transactions"]
    raw = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=HEADER.split(), dtype={0: str, 1: str})
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (len(raw), len(raw), 0)
    assert any("separated by spaces" in n for n in rep.notes)
    tx = ds.table("transactions", "customer_id", "order_ts", "amount", "quantity").to_pandas()
    assert tx.customer_id.nunique() == raw.customer_id.nunique() == 2_357
    assert tx.amount.sum() == pytest.approx(raw.amount.sum())
    assert sorted(tx.customer_id.unique()) == sorted(raw.customer_id.unique())  # "00004" kept
    days = pd.to_datetime(raw.order_ts.astype(str), format="%Y%m%d")
    assert (tx.order_ts.min(), tx.order_ts.max()) == (days.min(), days.max())


def test_the_published_bgnbd_fit_from_the_raw_file(tmp_path: Path) -> None:
    """Fader, Hardie & Lee (2005): r = 0.2426, alpha = 4.4135, a = 0.7929, b = 2.4258,
    LL = -9582.43, calibration to 1997-09-30 in weeks (tests/data/README.md); the file as it is
    published, its columns named in loyalscope.toml."""
    path = tmp_path / "cdnow.txt"
    path.write_bytes(CDNOW.read_bytes())
    config = tmp_path / "loyalscope.toml"
    config.write_text(COLUMNS, encoding="utf-8")
    result = runner.invoke(app, ["fit", "bgnbd", "--data", str(path), "--format", "transactions",
                                 "--calibration-end", "1997-09-30", "--time-unit", "week", "--json",
                                 "--config", str(config)])
    assert result.exit_code == 0, result.output
    fit = json.loads(result.output)
    assert fit["params"] == pytest.approx({"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258},
                                          abs=2e-4)
    assert fit["loglik"] == pytest.approx(-9582.43, abs=0.01)
    assert fit["n"] == 2_357


@pytest.mark.parametrize(("name", "text"), [
    # a .csv is never read at spaces
    ("transactions.csv", "customer_id order_ts amount\nC1 2024-01-02 10\nC2 2024-01-03 12\n"),
    # words that a space splits unevenly: a column of names, not spaced columns
    ("transactions.txt", "customer name spend\nAnn Lee 10\nMary Ann Lee 12\n"),
])
def test_other_files_are_not_split_at_spaces(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        ls.load(tmp_path / name)
    assert "Headers found: " + text.splitlines()[0] in " ".join(err.value.message.split())


def _columns(tmp_path: Path, text: str) -> AnalysisConfig:
    path = tmp_path / "loyalscope.toml"
    path.write_text(text, encoding="utf-8")
    return AnalysisConfig.load(path)


def test_named_columns_keep_the_files_line_numbers(tmp_path: Path) -> None:
    lines = CDNOW.read_text(encoding="ascii").splitlines(keepends=True)
    lines[1] = lines[1].replace("29.73", "29.x3")  # the file's line 2
    (tmp_path / "cdnow.txt").write_text("".join(lines), encoding="ascii")
    ds = ls.load(tmp_path / "cdnow.txt", config=_columns(tmp_path, COLUMNS))
    rep = ds.quality.tables["transactions"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (len(lines), len(lines) - 1, 1)
    assert any("No header line" in n for n in rep.notes)
    q = ds.quality.quarantine
    assert q[["line", "column", "value"]].values.tolist() == [[2, "amount", "29.x3"]]
    tx = ds.table("transactions", "order_id", "customer_id", "amount").to_pandas().set_index("order_id")
    # each row is an order named by its line: line 1 is the file's first order
    assert tx.loc["cdnow.txt:1", ["customer_id", "amount"]].tolist() == ["00004", 29.33]
    assert tx.loc["cdnow.txt:3", ["customer_id", "amount"]].tolist() == ["00004", 14.96]


def test_named_columns_of_a_comma_separated_behaviour_log(tmp_path: Path) -> None:
    """Tianchi's UserBehavior.csv shape (user, item, category, behaviour, epoch seconds): no
    header; with its columns named, every row is read."""
    rows = ["1,2268318,2520377,pv,1511544070", "1,2576651,149192,buy,1511572885",
            "2,3830808,4181361,pv,1511593493", "2,3830808,4181361,buy,1511593593"]
    (tmp_path / "UserBehavior.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    cfg = _columns(tmp_path, '[data.columns]\n"userbehavior.csv" = '
                             '["customer_id", "product_id", "category", "action", "timestamp"]\n')
    staged = stage(tmp_path / "UserBehavior.csv", cfg)[0]
    assert staged.header_added
    assert staged.path.read_bytes().splitlines()[:2] == [
        b"customer_id,product_id,category,action,timestamp", rows[0].encode()]


def test_named_columns_must_match_the_files_fields(tmp_path: Path) -> None:
    (tmp_path / "cdnow.txt").write_bytes(CDNOW.read_bytes())
    cfg = _columns(tmp_path, '[data.columns]\n"cdnow.txt" = ["customer_id", "order_ts", "amount"]\n')
    with pytest.raises(ConfigError) as err:
        ls.load(tmp_path / "cdnow.txt", config=cfg)
    assert "names 3 columns" in err.value.message and "has 5 fields" in err.value.message
    assert err.value.row == 1
    with pytest.raises(ConfigError):
        _columns(tmp_path, '[data.columns]\n"cdnow.txt" = ["id", "id", "amount"]\n')
