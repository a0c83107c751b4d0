"""A real Google Forms export of 0-10 ratings (``real/sudzilla/``, see tests/data/README.md).

The form asks ``On a scale of 0-10, how would you rate Sudzilla?`` (and the same of two
keynotes, and the food in words), with Google's ``Timestamp`` written month-first. It was
refused with a fix that mapped the response id and the customer id to rating questions (an id
was "plausible" because ``keynote`` holds ``no``). Now the ratings are read as the satisfaction
questions they are: the error names them and the one line (with the scale the question states)
that picks one, and the analysis of the picked one equals pandas on the same file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app
from loyalscope.config import AnalysisConfig
from loyalscope.errors import DataQualityError, SchemaError
from loyalscope.i18n import use_lang

FORM = Path(__file__).parent / "real" / "sudzilla" / "sudzilla_survey.csv"
RATING = "On a scale of 0-10, how would you rate Sudzilla?"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _english():
    with use_lang("en"):
        yield


def _folder(tmp_path: Path, toml: str | None) -> Path:
    shutil.copy(FORM, tmp_path / FORM.name)
    if toml is not None:
        (tmp_path / "loyalscope.toml").write_text(toml, encoding="utf-8")
    return tmp_path


def test_the_rating_questions_are_named_with_the_line_that_picks_one(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as err:
        ls.load(_folder(tmp_path, None))
    exc = err.value
    assert exc.column == "csat"
    ratings = [h for h in pd.read_csv(FORM, nrows=0).columns if "how would you rate" in h.lower()]
    assert len(ratings) == 6 and all(h in exc.message for h in ratings)
    assert f'csat = "{RATING}"' in exc.fix
    assert "response_id" not in exc.message and "customer_id" not in exc.fix


def test_a_question_without_a_measure_is_no_id_either(tmp_path: Path) -> None:
    raw = pd.read_csv(FORM)
    keep = [c for c in raw.columns if "how would you rate" not in c.lower()]  # the free-text questions only
    raw[keep].to_csv(tmp_path / "sudzilla_survey.csv", index=False)
    with pytest.raises(SchemaError) as err:
        ls.load(tmp_path)
    assert "none of them was recognised" in err.value.message
    assert "...why?" in err.value.message and "response_id" not in err.value.fix
    assert "...why?" not in err.value.fix and 'csat = "<' in err.value.fix  # a reason is no rating


def test_the_month_first_timestamps_ask_for_their_order(tmp_path: Path) -> None:
    toml = f'[mapping.surveys]\ncsat = "{RATING}"\n[survey.scales]\ncsat = "0-10"\n'
    folder = _folder(tmp_path, toml)
    with pytest.raises(DataQualityError) as err:
        ls.load(folder, config=AnalysisConfig.load(folder / "loyalscope.toml"))
    assert "11/1/2019 8:51:12" in err.value.message and "dayfirst" in err.value.fix


@pytest.mark.parametrize("declared", [True, False])
def test_the_picked_rating_is_analysed_as_pandas_reads_it(tmp_path: Path, declared: bool) -> None:
    # the scale declared, or read from the question (On a scale of 0-10 ...) with a note
    scales = '[survey.scales]\ncsat = "0-10"\n' if declared else ""
    toml = f'[data]\ndayfirst = false\n[mapping.surveys]\ncsat = "{RATING}"\n{scales}'
    folder = _folder(tmp_path, toml)
    raw = pd.read_csv(FORM)
    ds = ls.load(folder, config=AnalysisConfig.load(folder / "loyalscope.toml"))
    sv = ds.table("surveys").to_pandas().sort_values("answered_ts").reset_index(drop=True)
    expect = pd.to_datetime(raw["Timestamp"], format="%m/%d/%Y %H:%M:%S").sort_values().reset_index(drop=True)
    assert len(sv) == len(raw) == 39
    assert (pd.to_datetime(sv.answered_ts) == expect).all()
    assert sv.customer_id.isna().all()  # an anonymous form
    said = [n for n in ds.quality.tables["surveys"].notes if "scale the question states" in n]
    assert len(said) == (0 if declared else 1) and all("0-10" in n and RATING in n for n in said)
    assert ds.config.survey.scales == {"csat": "0-10"}
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(folder), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    sat = json.loads((out / "analysis.json").read_text(encoding="utf-8"))["sections"]["satisfaction"]
    numbers = {b["metric_id"]: b for b in sat["blocks"] if b["type"] == "number"}
    rating = raw[RATING]
    top2 = numbers["csat_top2"]  # the top two boxes of 0-10: 9 and 10
    assert (top2["numerator"], top2["denominator"]) == ((rating >= 9).sum(), rating.count())
    assert numbers["satisfaction_score"]["value"] == pytest.approx(rating.mean() / 10 * 100)
    assert "nps" not in numbers  # no recommendation question: no NPS, whatever the challenge said
