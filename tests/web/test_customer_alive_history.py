"""The web customer page draws the customer's P(alive) history from the value section's model."""

from __future__ import annotations

import json
import re

import pandas as pd


def test_customer_page_has_the_p_alive_history(client, finished, saved) -> None:
    assert not saved["sections"]["value"].get("skipped")
    customers = pd.read_parquet(f"{finished['out']}/customers.parquet")
    repeat = customers[customers.repeat_purchase_days.notna()]
    assert len(repeat) > 0 and "btyd_T" in customers.columns
    cid = str(repeat.customer_id.iloc[0])
    for lang in ("en", "zh"):
        html = client.get(f"/analyses/{finished['analysis']}/customers/{cid}", params={"lang": lang}).text
        assert 'id="chart-alive-history"' in html and "/static/plotly.min.js" in html
        raw = re.search(r'data-chart="chart-alive-history">(.*?)</script>', html, re.S).group(1)
        fig = json.loads(raw)
        assert len(fig["data"]) == 2 and "models." not in json.dumps(fig["layout"]["title"], ensure_ascii=False)
        assert "repeat_purchase_days" not in html
