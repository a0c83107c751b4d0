"""Model spec files, presets and their error messages."""

from __future__ import annotations

import pytest

from loyalscope.errors import ConfigError
from loyalscope.models.survey.plspm_spec import (
    ACSI_PATHS,
    acsi_spec,
    bank_spec_path,
    ecsi_spec,
    load_spec,
    path_matrix,
)

SPEC = """
[blocks]
Image = ["IMAG1", "IMAG2", "IMAG3"]
Satisfaction = ["CUSA1", "CUSA2", "CUSA3"]
[model]
paths = ["Image -> Satisfaction"]
scheme = "{scheme}"
scaled = true
"""


def test_loads_issue_example(tmp_path) -> None:
    f = tmp_path / "m.toml"
    f.write_text(SPEC.format(scheme="path"))
    spec = load_spec(f)
    assert spec.paths == [("Image", "Satisfaction")]
    assert spec.scheme == "path" and spec.scaled is True
    assert spec.blocks["Image"] == ["IMAG1", "IMAG2", "IMAG3"]


def test_unknown_scheme_names_file_and_key(tmp_path) -> None:
    f = tmp_path / "m.toml"
    f.write_text(SPEC.format(scheme="mean"))
    with pytest.raises(ConfigError) as err:
        load_spec(f)
    assert err.value.file == str(f) and err.value.column == "model.scheme" and err.value.fix


def test_cycle_is_rejected() -> None:
    with pytest.raises(ConfigError, match="cycle"):
        path_matrix(["A", "B", "C"], [("A", "B"), ("B", "C"), ("C", "A")])


def test_unknown_block_in_path(tmp_path) -> None:
    f = tmp_path / "m.toml"
    f.write_text(SPEC.format(scheme="centroid").replace("Image -> Satisfaction", "Imag -> Satisfaction"))
    with pytest.raises(ConfigError, match="Imag"):
        load_spec(f)


def test_missing_file_and_bad_toml(tmp_path) -> None:
    with pytest.raises(ConfigError) as err:
        load_spec(tmp_path / "nope.toml")
    assert err.value.fix
    bad = tmp_path / "bad.toml"
    bad.write_text("[blocks\n")
    with pytest.raises(ConfigError, match="TOML"):
        load_spec(bad)


def test_shipped_bank_spec_is_the_published_setup() -> None:
    spec = ecsi_spec()
    assert bank_spec_path().exists()
    assert spec.scheme == "centroid" and spec.scaled is False
    assert len(spec.paths) == 10 and sum(len(v) for v in spec.blocks.values()) == 27


def test_acsi_preset() -> None:
    blocks = {lv: [f"{lv}{i}" for i in range(3)] for lv in
              ("Expectations", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty")}
    spec = acsi_spec(blocks)
    assert ("Satisfaction", "Complaints") in spec.paths and spec.paths == ACSI_PATHS
    with pytest.raises(ConfigError):
        acsi_spec({"Expectations": ["e1"]})


def test_misspelt_key_is_rejected(tmp_path) -> None:
    f = tmp_path / "m.toml"
    f.write_text(SPEC.format(scheme="centroid").replace("scheme =", "schem ="))
    with pytest.raises(ConfigError, match="schem") as err:
        load_spec(f)
    assert err.value.column == "model.schem"


def test_missing_tables_are_named(tmp_path) -> None:
    f = tmp_path / "m.toml"
    f.write_text('[model]\npaths = ["A -> B"]\n')
    with pytest.raises(ConfigError, match="blocks"):
        load_spec(f)
