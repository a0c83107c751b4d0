"""Model specifications for PLS path models: blocks, paths, presets and the TOML spec file.

A spec file looks like::

    [blocks]
    Image = ["IMAG1", "IMAG2", "IMAG3"]
    Satisfaction = ["CUSA1", "CUSA2", "CUSA3"]
    [model]
    paths = ["Image -> Satisfaction"]
    scheme = "centroid"      # or factorial, path
    scaled = true
    # optional: modes = {Image = "B"}; scale = [1, 10] (item scale for the 0-100 index);
    # consistent = "auto" | true | false (PLSc; "auto": when every block is mode A)

Presets: :func:`acsi_spec` (Fornell et al. 1996) and :func:`ecsi_spec` (ECSI technical
committee 1998; the model of R plspm's ``satisfaction`` data, Sanchez 2013, ch. 6).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from loyalscope.errors import ConfigError
from loyalscope.i18n import t
from loyalscope.models.survey.plspm_core import SCHEMES


@dataclass
class ModelSpec:
    """What a PLS path model is made of.

    Attributes
    ----------
    blocks : dict of str to list of str
        Latent variable name -> its manifest columns, in model order.
    paths : list of (str, str)
        Directed inner paths ``(source, target)``.
    modes : dict of str to str
        Measurement mode per block, "A" (reflective) or "B" (formative); missing = "A".
    scheme : str
        Inner weighting scheme: "centroid", "factorial" or "path".
    scaled : bool
        Standardise the manifests (True) or only centre them (False, plspm ``scaled = FALSE``).
    scale : tuple of float, optional
        Minimum and maximum of the item scale, for the 0-100 index.
    consistent : {"auto", True, False}
        Consistent PLS (PLSc) for the mode A blocks; "auto": when every block is mode A.
    """

    blocks: dict[str, list[str]]
    paths: list[tuple[str, str]]
    modes: dict[str, str] = field(default_factory=dict)
    scheme: str = "centroid"
    scaled: bool = True
    scale: tuple[float, float] | None = None
    consistent: bool | str = "auto"


def parse_path(text: str, file: str | None = None) -> tuple[str, str]:
    """Parse ``"A -> B"`` into ``("A", "B")``."""
    parts = [p.strip() for p in str(text).split("->")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(
            t("survey_model.errors.bad_path", path=text), fix=t("survey_model.errors.bad_path_fix"),
            file=file, value=text,
        )
    return parts[0], parts[1]


def path_matrix(names: list[str], paths: list[tuple[str, str]], file: str | None = None) -> np.ndarray:
    """Inner design matrix ``P`` with ``P[i, j] = 1`` for ``j -> i``; rejects unknown LVs and cycles."""
    index = {name: i for i, name in enumerate(names)}
    mat = np.zeros((len(names), len(names)))
    for src, dst in paths:
        for lv in (src, dst):
            if lv not in index:
                raise ConfigError(
                    t("survey_model.errors.unknown_lv", lv=lv, known=", ".join(names)),
                    fix=t("survey_model.errors.unknown_lv_fix"), file=file, value=f"{src} -> {dst}",
                )
        if src == dst:
            raise ConfigError(t("survey_model.errors.cycle", lvs=src), fix=t("survey_model.errors.cycle_fix"),
                              file=file, value=f"{src} -> {dst}")
        mat[index[dst], index[src]] = 1
    _check_acyclic(names, mat, file)
    if not mat.any():
        raise ConfigError(t("survey_model.errors.no_paths"), fix=t("survey_model.errors.bad_path_fix"), file=file)
    return mat


def _check_acyclic(names: list[str], mat: np.ndarray, file: str | None) -> None:
    remaining = set(range(len(names)))
    while remaining:
        sources = [i for i in remaining if not any(mat[i, j] for j in remaining)]
        if not sources:
            cyc = ", ".join(names[i] for i in sorted(remaining))
            raise ConfigError(t("survey_model.errors.cycle", lvs=cyc), fix=t("survey_model.errors.cycle_fix"),
                              file=file)
        remaining -= set(sources)


def validate_spec(spec: ModelSpec, file: str | None = None) -> np.ndarray:
    """Check scheme, modes, blocks and paths; return the inner design matrix."""
    if spec.scheme not in SCHEMES:
        raise ConfigError(
            t("survey_model.errors.scheme", scheme=spec.scheme, known=", ".join(SCHEMES)),
            fix=t("survey_model.errors.scheme_fix"), file=file, column="model.scheme", value=spec.scheme,
        )
    for lv, mode in spec.modes.items():
        if lv not in spec.blocks or mode not in ("A", "B"):
            raise ConfigError(t("survey_model.errors.mode", lv=lv, mode=mode),
                              fix=t("survey_model.errors.mode_fix"), file=file, column="model.modes", value=mode)
    seen: dict[str, str] = {}
    for lv, cols in spec.blocks.items():
        if not cols:
            raise ConfigError(t("survey_model.errors.empty_block", lv=lv), fix=t("survey_model.errors.empty_block_fix"),
                              file=file, column=f"blocks.{lv}")
        for col in cols:
            if col in seen:
                raise ConfigError(t("survey_model.errors.shared_column", col=col, a=seen[col], b=lv),
                                  fix=t("survey_model.errors.empty_block_fix"), file=file, column=f"blocks.{lv}")
            seen[col] = lv
    return path_matrix(list(spec.blocks), spec.paths, file)


def check_columns(spec: ModelSpec, columns: list[str], file: str | None = None) -> None:
    """Raise ConfigError naming the manifest columns the data does not have."""
    have = set(columns)
    for lv, cols in spec.blocks.items():
        missing = [c for c in cols if c not in have]
        if missing:
            raise ConfigError(
                t("survey_model.errors.unknown_columns", lv=lv, cols=", ".join(missing)),
                fix=t("survey_model.errors.unknown_columns_fix", known=", ".join(sorted(have)[:40])),
                file=file, column=f"blocks.{lv}", value=missing[0],
            )


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a TOML model spec (see the module docstring for the format)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(t("survey_model.errors.no_file"), fix=t("survey_model.errors.no_file_fix"),
                          file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(t("survey_model.errors.bad_toml", detail=str(exc)), fix=t("survey_model.errors.bad_toml_fix"),
                          file=str(path)) from exc
    return spec_from_dict(raw, str(path))


_TOP_KEYS = ("blocks", "model")
_MODEL_KEYS = ("paths", "scheme", "scaled", "modes", "scale", "consistent")


def spec_from_dict(raw: dict, file: str | None = None) -> ModelSpec:
    """Build and validate a :class:`ModelSpec` from the parsed TOML tables."""
    blocks = raw.get("blocks")
    model = raw.get("model", {})
    for table, keys, known in ((None, raw, _TOP_KEYS), ("model", model, _MODEL_KEYS)):
        for key in keys:
            if key not in known:
                where = f"{table}.{key}" if table else key
                raise ConfigError(t("survey_model.errors.unknown_key", name=where, known=", ".join(known)),
                                  fix=t("survey_model.errors.missing_key_fix"), file=file, column=where)
    if not isinstance(blocks, dict) or not blocks:
        raise ConfigError(t("survey_model.errors.missing_key", name="blocks"),
                          fix=t("survey_model.errors.missing_key_fix"), file=file, column="blocks")
    if "paths" not in model:
        raise ConfigError(t("survey_model.errors.missing_key", name="model.paths"),
                          fix=t("survey_model.errors.missing_key_fix"), file=file, column="model.paths")
    scale = model.get("scale")
    spec = ModelSpec(
        blocks={str(k): [str(c) for c in v] for k, v in blocks.items()},
        paths=[parse_path(p, file) for p in model["paths"]],
        modes={str(k): str(v).upper() for k, v in model.get("modes", {}).items()},
        scheme=str(model.get("scheme", "centroid")),
        scaled=bool(model.get("scaled", True)),
        scale=(float(scale[0]), float(scale[1])) if scale else None,
        consistent=model.get("consistent", "auto"),
    )
    validate_spec(spec, file)
    return spec


ACSI_PATHS = [
    ("Expectations", "Quality"), ("Expectations", "Value"), ("Expectations", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
]
ECSI_PATHS = [
    ("Image", "Expectations"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectations", "Quality"), ("Expectations", "Value"), ("Expectations", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
    ("Satisfaction", "Loyalty"),
]


def acsi_spec(blocks: dict[str, list[str]], *, scheme: str = "centroid", scaled: bool = True) -> ModelSpec:
    """The ACSI model: expectations, perceived quality, perceived value -> satisfaction ->
    complaints, loyalty (Fornell et al. 1996, J. Marketing 60:7-18).

    ``blocks`` maps Expectations, Quality, Value, Satisfaction, Complaints, Loyalty to columns.
    """
    spec = ModelSpec(blocks=dict(blocks), paths=list(ACSI_PATHS), scheme=scheme, scaled=scaled)
    validate_spec(spec)
    return spec


def ecsi_spec(blocks: dict[str, list[str]] | None = None, *, scheme: str = "centroid",
              scaled: bool = True) -> ModelSpec:
    """The ECSI model: ACSI without complaints, plus Image -> Expectations, Satisfaction, Loyalty.

    ``blocks`` maps Image, Expectations, Quality, Value, Satisfaction, Loyalty to columns; by
    default the columns of plspm's ``satisfaction`` bank data (imag1-5 ... loy1-4).
    """
    if blocks is None:
        return load_spec(bank_spec_path())
    spec = ModelSpec(blocks=dict(blocks), paths=list(ECSI_PATHS), scheme=scheme, scaled=scaled)
    validate_spec(spec)
    return spec


def bank_spec_path() -> Path:
    """Path of the shipped ECSI spec for the bank data (``specs/ecsi_bank.toml``)."""
    return Path(str(resources.files("loyalscope.models.survey") / "specs" / "ecsi_bank.toml"))
