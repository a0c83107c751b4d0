"""Delivery end to end against local receivers on 127.0.0.1: the five webhook formats with
钉钉 and 飞书 signatures, SMTP with STARTTLS and AUTH, retries, failures, time-outs."""

from __future__ import annotations

import pytest

from loyalscope.config import AnalysisConfig, NotifyConfig
from loyalscope.i18n import t
from loyalscope.monitoring import monitor
from loyalscope.monitoring.deliver import notify
from receivers import SECRET, smtp_server, webhook_server


@pytest.fixture(scope="module")
def hooks():
    server = webhook_server()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def alerting(steady_ds):
    """A run with alerts: thresholds no period can meet."""
    cfg = AnalysisConfig.model_validate({"monitor": {
        "include": ["repeat_purchase_rate", "orders"],
        "metrics": {"repeat_purchase_rate": {"min": 0.99}, "orders": {"max": 1.0}}}})
    result = monitor(steady_ds, cfg)
    assert len(result.alerts) >= 2
    return result


def _notify(hooks_: list[dict], **kw) -> NotifyConfig:
    return NotifyConfig.model_validate({"webhooks": hooks_, "retries": 2, "backoff": 0.01,
                                        "timeout": 2, **kw})


def test_every_format_gets_one_message(hooks, alerting, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SIGN_SECRET", SECRET)
    before = len(hooks.hits)
    kinds = ["json", "wecom", "dingtalk", "feishu", "slack"]
    cfg = _notify([{"kind": k, "url": f"{hooks.base}/{k}" + ("?access_token=abc" if k ==
                   "dingtalk" else ""), **({"secret_env": "TEST_SIGN_SECRET"} if k in
                   ("dingtalk", "feishu") else {})} for k in kinds])
    status = notify(alerting, cfg, "zh")
    assert [(s["channel"], s["ok"], s["sent"], s["attempts"]) for s in status] == [
        (k, True, True, 1) for k in kinds]
    hits = hooks.hits[before:]
    assert [h.path for h in hits] == [f"/{k}" for k in kinds]  # one message each
    by = {h.path[1:]: h for h in hits}
    name = t("metrics.repeat_purchase_rate.name", "zh")
    assert by["json"].json()["result"] == alerting.to_dict()
    assert name in by["json"].json()["text"]
    assert by["wecom"].json()["msgtype"] == "markdown"
    assert name in by["wecom"].json()["markdown"]["content"]
    assert len(by["wecom"].json()["markdown"]["content"].encode()) <= 4096
    assert by["dingtalk"].query["access_token"] == ["abc"]  # signed, token kept
    assert name in by["dingtalk"].json()["markdown"]["text"]
    assert by["feishu"].json()["msg_type"] == "text" and "sign" in by["feishu"].json()
    assert name in by["slack"].json()["text"]
    assert by["json"].headers["Content-Type"].startswith("application/json")


def test_wrong_dingtalk_secret_is_refused_and_reported(hooks, alerting, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SIGN_SECRET", "not-the-secret")
    cfg = _notify([{"kind": "dingtalk", "url": f"{hooks.base}/dingtalk?access_token=abc",
                    "secret_env": "TEST_SIGN_SECRET"}])
    (s,) = notify(alerting, cfg, "en")
    assert not s["ok"] and "310000" in s["error"] and s["attempts"] == 3


def test_unsigned_dingtalk_is_refused(hooks, alerting) -> None:
    cfg = _notify([{"kind": "dingtalk", "url": f"{hooks.base}/dingtalk?access_token=abc"}])
    (s,) = notify(alerting, cfg, "en")
    assert not s["ok"]


def test_a_failing_receiver_is_retried_then_reported(hooks, alerting) -> None:
    before = len(hooks.on("/fail"))
    cfg = _notify([{"kind": "json", "url": f"{hooks.base}/fail", "name": "ops"}], retries=3)
    (s,) = notify(alerting, cfg, "en")
    assert (s["name"], s["ok"], s["sent"], s["attempts"]) == ("ops", False, False, 4)
    assert "HTTP 500" in s["error"]
    assert len(hooks.on("/fail")) - before == 4


def test_time_out_and_refused_connection_are_reported(hooks, alerting) -> None:
    hooks.slow_seconds = 3.0
    cfg = _notify([{"kind": "json", "url": f"{hooks.base}/slow"},
                   {"kind": "json", "url": "http://127.0.0.1:9/closed"}], retries=0, timeout=0.5)
    slow, closed = notify(alerting, cfg, "en")
    assert not slow["ok"] and "timed out" in slow["error"].lower()
    assert not closed["ok"] and closed["error"]


def test_redirects_are_not_followed(hooks, alerting) -> None:
    before = len(hooks.on("/json"))
    (s,) = notify(alerting, _notify([{"kind": "json", "url": f"{hooks.base}/redirect"}]), "en")
    assert not s["ok"] and "redirect" in s["error"]
    assert len(hooks.on("/json")) == before


def test_missing_secret_is_reported_not_sent(hooks, alerting, monkeypatch) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    before = len(hooks.hits)
    cfg = _notify([{"kind": "feishu", "url": f"{hooks.base}/feishu",
                    "secret_env": "NO_SUCH_SECRET"}])
    (s,) = notify(alerting, cfg, "en")
    assert not s["ok"] and "NO_SUCH_SECRET" in s["error"] and s["attempts"] == 1
    assert len(hooks.hits) == before


def test_nothing_is_sent_below_the_minimum_severity(hooks, steady_ds) -> None:
    quiet = monitor(steady_ds, AnalysisConfig.model_validate({"monitor": {"include": []}}))
    before = len(hooks.hits)
    (s,) = notify(quiet, _notify([{"kind": "json", "url": f"{hooks.base}/json"}]), "en")
    assert (s["sent"], s["ok"]) == (False, True)
    assert len(hooks.hits) == before
    (s,) = notify(quiet, _notify([{"kind": "json", "url": f"{hooks.base}/json"}],
                                 send_empty=True), "en")
    assert s["sent"] and "no alerts" in hooks.hits[-1].json()["text"]


def test_email_over_starttls_with_credentials_from_the_environment(tmp_path, alerting,
                                                                   monkeypatch) -> None:
    smtp = smtp_server(tmp_path, "monitor", "s3cret")
    try:
        monkeypatch.setenv("LOYALSCOPE_SMTP_USER", "monitor")
        monkeypatch.setenv("LOYALSCOPE_SMTP_PASSWORD", "s3cret")
        email = {"host": "127.0.0.1", "port": smtp.port, "from": "loyalscope@example.com",
                 "to": ["crm@example.com", "ops@example.com"], "ca_file": str(smtp.ca_file)}
        (s,) = notify(alerting, _notify([], email=email), "zh")
        assert (s["channel"], s["ok"], s["attempts"]) == ("email", True, 1), s
        (envelope,) = smtp.mailbox.messages
        assert envelope.rcpt_tos == ["crm@example.com", "ops@example.com"]
        text = envelope.content.decode("utf-8", "replace")
        assert "Subject:" in text
        from email import message_from_bytes, policy

        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert mail["Subject"].startswith(t("monitoring.message.title", "zh", period="",
                                            summary="").split("{")[0].strip()[:4])
        assert t("metrics.repeat_purchase_rate.name", "zh") in mail.get_content()

        monkeypatch.setenv("LOYALSCOPE_SMTP_PASSWORD", "wrong")
        (s,) = notify(alerting, _notify([], email=email), "zh")
        assert not s["ok"] and "login refused" in s["error"] and s["attempts"] == 1

        untrusted = {**email, "ca_file": None}
        (s,) = notify(alerting, _notify([], email=untrusted, retries=0), "zh")
        assert not s["ok"] and "certificate" in s["error"].lower()
        assert len(smtp.mailbox.messages) == 1
    finally:
        smtp.controller.stop()
