"""analysis.json read back into an Analysis renders what the original rendered."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from loyalscope.errors import LoyalscopeError
from loyalscope.report.html import render_html
from loyalscope.results import Chart, Number, to_jsonable
from loyalscope.web.saved import AnalysisCache, analysis_from_dict, read_analysis


def test_round_trip_gives_the_same_json(saved) -> None:
    analysis = analysis_from_dict(saved)
    again = {s.id: to_jsonable(s) for s in analysis.sections}
    assert json.dumps(again, sort_keys=True) == json.dumps(saved["sections"], sort_keys=True)
    assert analysis.config.locale == saved["config"]["locale"]


def test_blocks_come_back_typed(finished) -> None:
    analysis = read_analysis(finished["out"])
    blocks = [b for s in analysis.sections for b in s.blocks]
    charts = [b for b in blocks if isinstance(b, Chart)]
    numbers = [b for b in blocks if isinstance(b, Number)]
    assert charts and numbers
    assert all(len(c.frame) > 0 for c in charts)
    assert all(isinstance(n.interval, tuple) for n in numbers if n.interval is not None)
    # the report renderer accepts the rebuilt analysis, every chart included
    html = render_html(analysis, "en")
    assert html.count('class="plotly-graph-div"') == len(charts)


def test_missing_folder_says_what_to_do(tmp_path) -> None:
    with pytest.raises(LoyalscopeError) as info:
        read_analysis(tmp_path)
    assert "analysis.json" in info.value.message
    assert "loyalscope analyze" in info.value.fix


def test_cache_rereads_a_changed_file(finished, tmp_path) -> None:
    src = (Path(finished["out"]) / "analysis.json").read_text(encoding="utf-8")
    path = tmp_path / "analysis.json"
    path.write_text(src, encoding="utf-8")
    cache = AnalysisCache()
    first = cache.get(tmp_path)
    assert cache.get(tmp_path) is first
    data = json.loads(src)
    data["created"] = "2000-01-01T00:00:00"
    path.write_text(json.dumps(data), encoding="utf-8")
    os.utime(path, (1, 1))  # a different mtime, whatever the clock's resolution
    assert cache.get(tmp_path).created == "2000-01-01T00:00:00"
