from loyalscope.i18n import catalogue, placeholders, t, use_lang


def test_catalogues_have_same_keys() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))


def test_catalogues_have_same_placeholders() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    bad = [k for k in en if placeholders(en[k]) != placeholders(zh.get(k, ""))]
    assert not bad, bad


def test_lookup_and_language_switch() -> None:
    with use_lang("zh-CN"):
        assert t("schema.customers.customer_id") == "客户编号"
    assert t("schema.customers.customer_id", "en") == "customer identifier"
    assert t("core.needs", "en", what="surveys.nps") == "core.needs"  # unknown key falls back
    assert "surveys.nps" in t("core.errors.needs", "en", what="surveys.nps")


def test_placeholders_may_be_named_key_or_lang() -> None:
    # t's own parameters are positional-only, so templates can use {key} and {lang}
    assert "A11" in t("indices.ahp.missing", "en", key="A11")
