"""The message of a run (zh and en, from the catalogues) and the request bodies of each channel,
with the 钉钉 and 飞书 signatures checked against an independent computation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.i18n import t
from loyalscope.monitoring import monitor
from loyalscope.monitoring.alerts import Alert
from loyalscope.monitoring.channels import WECOM_MAX_BYTES, accepted, request
from loyalscope.monitoring.message import build, fmt, fmt_change, fmt_range, line


@pytest.fixture(scope="module")
def result(steady_ds):
    cfg = AnalysisConfig.model_validate({"monitor": {
        "include": ["repeat_purchase_rate", "orders", "nps"],
        "metrics": {"repeat_purchase_rate": {"min": 0.99}, "orders": {"max": 1.0},
                    "nps": {"min": 0.99}}}})
    return monitor(steady_ds, cfg)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_message_lists_every_alert_in_the_language(result, lang: str) -> None:
    m = build(result, lang)
    assert m.text.splitlines()[0] == m.title
    assert result.label in m.title
    for a in result.alerts:
        assert t(f"metrics.{a.metric}.name", lang) in m.text
    assert t("monitoring.severity.high", lang) in m.text
    assert "{" not in m.text and "monitoring." not in m.text  # no untranslated key
    assert m.markdown.startswith("**")


def test_long_lists_are_cut_and_counted(result) -> None:
    m = build(result, "en", max_alerts=1)
    assert t("monitoring.message.more", "en", n=len(result.alerts) - 1) in m.text


def test_formats() -> None:
    assert fmt("repeat_purchase_rate", 0.1234) == "12.3%"
    assert fmt("nps", -0.052) == "-5.2"
    assert fmt("orders", 12345.0) == "12,345"
    assert fmt_change("repeat_purchase_rate", -0.021, "en") == "-2.1 pp"
    assert fmt_change("repeat_purchase_rate", -0.021, "zh") == "-2.1 个百分点"
    assert fmt_change("orders", -455.0, "en") == "-455"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_value_without_a_range_is_a_dash_not_nan(lang: str) -> None:
    """A configured minimum broken in a period without history: no expected value or range
    (NaN). The tables showed "nan% - nan%"; the message "expected nan%, range nan% to nan%"."""
    nan = float("nan")
    assert fmt("repeat_purchase_rate", nan) == fmt("orders", float("inf")) == "-"
    assert fmt_range("repeat_purchase_rate", nan, nan) == fmt_range("nps", None, None) == "-"
    assert fmt_range("repeat_purchase_rate", 0.1, 0.25) == "10.0% - 25.0%"
    alert = Alert("repeat_purchase_rate", "2024-03", 0.2, nan, nan, nan, "high", "threshold_min",
                  None, None, None, 120.0)
    said = line(alert, lang)
    assert "nan" not in said.lower() and t("monitoring.message.no_range", lang) in said


def test_dingtalk_signature_survives_the_url() -> None:
    secret = "SECabc+/="
    msg = build_stub()
    for now in (1700000000.123, 1700000001.456, 1700000002.789, 1700000003.5):
        req = request("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=x", msg,
                      {}, secret=secret, now=now)
        q = parse_qs(urlsplit(req.url).query)
        ms = str(int(now * 1000))
        mac = hmac.new(secret.encode(), f"{ms}\n{secret}".encode(), hashlib.sha256).digest()
        assert q["timestamp"] == [ms]
        assert q["sign"] == [base64.b64encode(mac).decode()]
        assert q["access_token"] == ["x"]


def test_feishu_signature() -> None:
    req = request("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", build_stub(), {},
                  secret="abc", now=1700000000.9)
    body = json.loads(req.body)
    mac = hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()
    assert (body["timestamp"], body["sign"]) == ("1700000000", base64.b64encode(mac).decode())
    assert body["msg_type"] == "text"


def test_wecom_body_fits_its_limit() -> None:
    long = build_stub(markdown="- line 告警\n" * 2000)
    body = json.loads(request("wecom", "https://qyapi.weixin.qq.com/x", long, {}).body)
    assert len(body["markdown"]["content"].encode()) <= WECOM_MAX_BYTES


def test_slack_text_is_escaped() -> None:
    body = json.loads(request("slack", "https://hooks.slack.com/x", build_stub(text="a<b>&c"),
                              {}).body)
    assert body == {"text": "a&lt;b&gt;&amp;c"}


@pytest.mark.parametrize(("kind", "status", "body", "ok"), [
    ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', True),
    ("wecom", 200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', False),
    ("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}', False),
    ("feishu", 200, b'{"code":0,"msg":"success"}', True),
    ("feishu", 200, b'{"code":19021,"msg":"sign match fail"}', False),
    ("slack", 200, b"ok", True),
    ("slack", 404, b"no_service", False),
    ("json", 204, b"", True),
    ("json", 500, b"boom", False),
])
def test_what_counts_as_accepted(kind: str, status: int, body: bytes, ok: bool) -> None:
    assert accepted(kind, status, body)[0] is ok


def build_stub(text: str = "title\nline", markdown: str = "**title**\n- line"):
    from loyalscope.monitoring.message import Message

    return Message("title", text, markdown)
