"""Analysis configuration, read from ``loyalscope.toml`` and overridden by CLI flags.

One section per area; each area owns its section class. Example ``loyalscope.toml``::

    locale = "zh"

    [data]
    timezone = "Asia/Shanghai"
    dayfirst = false
    negative_amounts = "returns"     # or "quarantine"

    [data.files]
    transactions = "订单*.csv"

    [mapping.transactions]
    customer_id = "会员号"

    [analysis]
    period = "month"
    inactivity_days = 180
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

Period = Literal["day", "week", "month", "quarter", "year"]


_FIXES = {"data.timezone": "core.config.timezone_fix", "data.encoding": "core.config.encoding_fix"}
"""Setting -> i18n key of its fix, for settings whose right values are not obvious."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Section):
    """How input files are read and validated."""

    timezone: str = "UTC"
    """Business time zone: timestamps are stored as naive wall-clock times in this zone."""
    dayfirst: bool | None = None
    """True for 05/01/2024 = 5 January; None detects and errors when ambiguous."""
    negative_amounts: Literal["returns", "quarantine"] = "returns"
    future_dates: Literal["quarantine", "accept"] = "quarantine"
    preset: str | None = None
    """CRM export preset: "zoho" or "fxiaoke" (纷享销客)."""
    files: dict[str, str | list[str]] = Field(default_factory=dict)
    """Table name -> file name or glob pattern(s), relative to the data folder."""
    encoding: str | None = None
    """Force a CSV encoding instead of detecting it (a Python codec name: "gb18030", "big5",
    "utf-8", "utf-16", "cp1252" ...)."""
    max_decompressed_mb: int = Field(default=4096, gt=0)
    """Largest decompressed size of a .zip / .gz member or of an .xlsx workbook, in MiB: a
    zip bomb stops with a clear error instead of filling memory or disk."""
    max_cells: int = Field(default=30_000_000, gt=0)
    """Most cells (rows x columns of the used area) of one spreadsheet sheet."""
    statuses: dict[str, Literal["sale", "refunded", "cancelled", "unpaid", "closed", "unavailable",
                                "failed"]] = Field(default_factory=dict)
    """Order status value -> class, added to / overriding the built-in table
    (``loyalscope.data.shapes.statuses``), e.g. ``[data.statuses] "已发货" = "sale"``."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(t("core.config.unknown_timezone", value=value)) from exc
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is None:
            return None
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(t("core.config.unknown_encoding", value=value)) from exc
        return value


class AnalysisSettings(_Section):
    """Grain and windows of the behavioural metrics."""

    period: Period = "month"
    analysis_date: date | None = None
    """The "today" of the analysis; default: the day after the last order."""
    inactivity_days: int = Field(default=180, gt=0)
    """A customer with no order for this many days counts as churned."""
    iceberg_ratio: float = Field(default=25.0, gt=0)
    """Dissatisfied customers per complainant (documents: 1 in 25 complains)."""
    trend_periods: int = Field(default=6, ge=2)
    targets: dict[str, float] = Field(default_factory=dict)
    """Metric id -> target, in the units of the report (shares for rates, points for nps), e.g.
    ``[analysis.targets] repeat_purchase_rate = 0.35``; the strategy rules act on the gaps."""


class ValueConfig(_Section):
    """Customer lifetime value settings."""

    time_unit: Literal["hour", "day", "week", "month"] = "week"
    horizon: float = Field(default=52.0, gt=0)
    """CLV horizon in ``time_unit``."""
    annual_discount_rate: float = Field(default=0.10, ge=0)
    margin: float = Field(default=0.30, gt=0, le=1)
    holdout_fraction: float = Field(default=0.25, ge=0, lt=1)


class SurveyConfig(_Section):
    """Survey analysis settings."""

    min_n: int = Field(default=30, ge=1)
    """Below this many answers a number is shown with a small-sample warning."""
    csat_scale_max: int = Field(default=5, ge=2)
    rating_scale_max: int = Field(default=5, ge=2)
    """Top of the 1..N scale of recommend_intent, loyalty_score, dim_* and comp_* ratings."""
    model: Literal["ecsi", "acsi"] | None = None
    bootstrap: int = Field(default=200, ge=0)
    seed: int = 0


class SegmentsConfig(_Section):
    """Segmentation, index and churn settings."""

    rfm_scheme: str = "classic11"
    rfm_bins: int = Field(default=5, ge=2, le=10)
    index_weights: str = "ahp"
    churn_horizon_days: int = Field(default=90, gt=0)
    quadrant_satisfaction_cut: float = Field(default=0.75, ge=0, le=1)
    """High satisfaction at or above this rescaled CSAT (0.75 = 4 on a 1-5 scale)."""
    quadrant_loyalty_cut: float | None = Field(default=None, ge=0, le=1)
    """High behavioural loyalty at or above this (0-1); None = the median customer."""


class AnalysisConfig(_Section):
    """Everything an analysis can be told. ``AnalysisConfig.load(path)`` reads a TOML file."""

    locale: str = "zh"
    data: DataConfig = Field(default_factory=DataConfig)
    mapping: dict[str, dict[str, str]] = Field(default_factory=dict)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    value: ValueConfig = Field(default_factory=ValueConfig)
    survey: SurveyConfig = Field(default_factory=SurveyConfig)
    segments: SegmentsConfig = Field(default_factory=SegmentsConfig)

    source_path: str | None = Field(default=None, exclude=True)

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> AnalysisConfig:
        """Read ``path`` (TOML) if given, then apply ``overrides`` (dotted keys allowed)."""
        raw: dict[str, Any] = {}
        if path is not None:
            p = Path(path)
            if not p.exists():
                raise ConfigError(f"Config file {p} does not exist.", file=str(p),
                                  fix="Check the path given to --config.")
            try:
                raw = tomllib.loads(p.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{p} is not valid TOML: {exc}", file=str(p),
                                  fix="Fix the TOML syntax at the position named.") from exc
        for dotted, value in overrides.items():
            if value is None:
                continue
            node = raw
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        try:
            cfg = cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            fix = _FIXES.get(where)
            raise ConfigError(
                f"Invalid setting {where}: {first['msg']}.",
                file=str(path) if path else None,
                column=where,
                value=first.get("input"),
                fix=t(fix) if fix else
                f"Correct or remove `{where}` in loyalscope.toml (see README, Configuration).",
            ) from exc
        cfg.source_path = str(path) if path else None
        return cfg
