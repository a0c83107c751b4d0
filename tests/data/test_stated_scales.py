"""The answer scale a question states is the scale its answers are read on (``data.load.stated_scales``).

A questionnaire that asks ``3、您对本店的总体满意度如何？（1-10分）`` was refused by every
satisfaction number (answers up to 10 on the default 1-5 scale) until ``[survey.scales]`` said
what the question already says. Now the stated scale is read with a note; a declared one wins;
NPS keeps its 0-10; a column whose questions state two scales keeps the default.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.errors import DataQualityError
from loyalscope.i18n import use_lang
from loyalscope.metrics.registry import compute

SAT = "3、您对本店的总体满意度如何？（1-10分）"
NPS = "4、您向朋友推荐本店的可能性有多大？（1-5分）"


@pytest.fixture(autouse=True)
def _english():
    with use_lang("en"):
        yield


def _answers(folder: Path, name: str = "顾客满意度调查.csv", sat: str = SAT, nps: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"序号": range(1, 41), "提交答卷时间": "2024-05-01 10:00:00",
                          sat: [(i % 10) + 1 for i in range(40)]})
    if nps is not None:
        frame[nps] = [(i % 5) + 1 for i in range(40)]
    frame.to_csv(folder / name, index=False, encoding="utf-8-sig")
    return frame


def test_the_stated_scale_is_read_with_a_note(tmp_path: Path) -> None:
    raw = _answers(tmp_path)
    ds = ls.load(tmp_path)
    assert ds.config.survey.scales == {"csat": "1-10"}
    assert any("1-10" in n and SAT in n for n in ds.quality.tables["surveys"].notes)
    got = compute(ds, "satisfaction_score")  # mean / scale max x 100
    assert float(got.value.iloc[0]) == pytest.approx(raw[SAT].mean() / 10 * 100)


def test_a_declared_scale_wins_and_is_not_noted(tmp_path: Path) -> None:
    _answers(tmp_path)
    config = AnalysisConfig.model_validate({"survey": {"scales": {"csat": "0-10"}}})
    ds = ls.load(tmp_path, config=config)
    assert ds.config.survey.scales == {"csat": "0-10"}
    assert not any("scale the question states" in n for n in ds.quality.tables["surveys"].notes)


def test_nps_keeps_its_own_scale(tmp_path: Path) -> None:
    _answers(tmp_path, nps=NPS)
    ds = ls.load(tmp_path)
    assert "nps" not in ds.config.survey.scales  # a 1-5 "recommend" question is no NPS
    with pytest.raises(DataQualityError):
        compute(ds, "nps")


def test_two_stated_scales_keep_the_default(tmp_path: Path) -> None:
    _answers(tmp_path, "顾客满意度调查_2024.csv")
    _answers(tmp_path, "顾客满意度调查_2023.csv", sat="3、您对本店的总体满意度如何？（0-10分）")
    ds = ls.load(tmp_path)
    assert ds.config.survey.scales == {}
    with pytest.raises(DataQualityError):  # answers of 10 on the default 1-5: refused, as before
        compute(ds, "satisfaction_score")
