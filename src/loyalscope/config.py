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

    [units]                          # money stated in a multiple the header does not say
    transactions.amount = "万元"     # 1.5 is read as 15,000 (data.units)

    [analysis]
    period = "month"
    inactivity_days = 180            # default: from the data (see inactivity_quantile)
    min_n = 30
    seed = 0

    [models]
    min_customers = 100
    min_repeat_buyers = 50

    [monitor]                        # loyalscope monitor: expected ranges and alerts
    min_n = 30
    [monitor.metrics.repeat_purchase_rate]
    min = 0.15                       # alert below 15 %
    [[monitor.notify.webhooks]]
    kind = "dingtalk"
    url = "https://oapi.dingtalk.com/robot/send?access_token=..."
    secret_env = "DINGTALK_SECRET"

    [engine]
    use = "duckdb"                   # or "duckdb:warehouse.duckdb", "spark", "postgres://..."

    [engine.duckdb]
    memory_limit = "4GB"

    [engine.spark]
    master = "local[4]"              # or "spark://host:7077", "yarn", "sc://host:15002"
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

Period = Literal["day", "week", "month", "quarter", "year"]


_FIXES = {"data.timezone": "core.config.timezone_fix", "data.encoding": "core.config.encoding_fix",
          "units": "core.config.units_fix"}
"""Setting -> i18n key of its fix, for settings whose right values are not obvious."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Section):
    """How input files are read and validated."""

    timezone: str = "UTC"
    """Business time zone: timestamps are stored as naive wall-clock times in this zone."""
    dayfirst: bool | None = None
    """True for 05/01/2024 = 5 January; None detects and errors when ambiguous."""
    day_one: date | None = None
    """The date of day 1 when a date column holds day numbers (1, 2, 3 ...) instead of dates:
    dunnhumby's The Complete Journey numbers its days 1-711 (``DAY``). Whole numbers from 0 to
    9,999 in a date column are then read as ``day_one + (n - 1)`` days; without it they are
    quarantined as day numbers (never read as Excel serials or epoch seconds)."""
    negative_amounts: Literal["returns", "quarantine"] = "returns"
    future_dates: Literal["quarantine", "accept"] = "quarantine"
    preset: str | None = None
    """Export preset: "zoho", "fxiaoke" (纷享销客), "shopify", "tafeng" (Ta Feng grocery lines) or
    "qualtrics" (its recorded date is the answer time); detected from the headers when not set."""
    files: dict[str, str | list[str]] = Field(default_factory=dict)
    """Table name -> file name or glob pattern(s), relative to the data folder."""
    columns: dict[str, list[str]] = Field(default_factory=dict)
    """File name -> the names of its columns, for a text file without a header line (CDNOW's
    ``CDNOW_master.txt``, Tianchi's ``UserBehavior.csv``): its first line is read as data, e.g.
    ``[data.columns] "UserBehavior.csv" = ["customer_id", "product_id", "category", "action",
    "timestamp"]``."""
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
    return_statuses: dict[str, Literal["return", "not_return"]] = Field(default_factory=dict)
    """A returns file's status value -> ``return`` (counted) or ``not_return`` (a closed or
    refused request), added to / overriding the built-in table, e.g.
    ``[data.return_statuses] "退款关闭" = "not_return"``."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(t("core.config.unknown_timezone", value=value)) from exc
        return value

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, cols in value.items():
            clean = [c.strip() for c in cols]
            if not clean or any(not c for c in clean) or len(set(clean)) < len(clean):
                raise ValueError(t("core.config.bad_columns", name=name, columns=", ".join(cols)))
        return {name: [c.strip() for c in cols] for name, cols in value.items()}

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
    inactivity_days: int | None = Field(default=None, gt=0)
    """A customer with no order for this many days counts as churned. Default (None): from the
    data, the ``inactivity_quantile`` of the days between a customer's consecutive orders
    (:func:`loyalscope.metrics.window.inactivity_window`); the report shows which."""
    inactivity_quantile: float = Field(default=0.9, gt=0, lt=1)
    """Quantile of the inter-purchase times that sets the inactivity window when
    ``inactivity_days`` is not given (0.9: nine in ten repeat purchases come sooner)."""
    min_n: int = Field(default=30, ge=1)
    """A number computed from fewer cases (customers, answers ...) is flagged as a small sample."""
    seed: int = 0
    """Seed of every random step (model fits from a subsample, bootstraps, subsampling): the
    same data and configuration give the same analysis.json."""
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
    tenure_unit: Literal["day", "week", "month", "year"] = "month"
    """Unit of a customer snapshot's ``tenure`` column: one renewal period of the sBG model."""


class ModelsConfig(_Section):
    """Minimum data for the statistical models and the rule that picks a transaction model.

    Below a minimum the model is "not estimable" and its section says why, with no numbers.
    """

    min_customers: int = Field(default=100, ge=1)
    """Customers needed to fit a transaction model (BG/NBD, MBG/NBD, Pareto/NBD)."""
    min_repeat_buyers: int = Field(default=50, ge=1)
    """Customers with at least one repeat purchase needed for the transaction and spend models."""
    min_contract_customers: int = Field(default=30, ge=1)
    """Contract customers needed for the sBG model."""
    min_contract_churned: int = Field(default=5, ge=1)
    """Contract customers who did not renew needed for the sBG model."""
    holdout_alpha: float = Field(default=0.05, gt=0, lt=1)
    """Significance level at which a lower holdout error overrides the BIC choice (paired
    t-test over customers of the absolute holdout errors)."""


class SurveyConfig(_Section):
    """Survey analysis settings."""

    min_n: int = Field(default=30, ge=1)
    """Below this many answers a number is shown with a small-sample warning."""
    csat_scale_max: int = Field(default=5, ge=2)
    rating_scale_max: int = Field(default=5, ge=2)
    """Top of the 1..N scale of recommend_intent, loyalty_score, dim_* and comp_* ratings."""
    scales: dict[str, str] = Field(default_factory=dict)
    """Declared answer scale per survey column, ``"low-high"``: ``loyalty_score = "1-10"``, or a
    prefix pattern ``"dim_*" = "1-7"``; overrides the defaults (NPS 0-10, share_of_wallet 0-1,
    csat 1-csat_scale_max, other ratings 1-rating_scale_max). Metrics refuse answers outside it
    (:mod:`loyalscope.metrics.scales`)."""
    model: Literal["ecsi", "acsi"] | None = None
    bootstrap: int = Field(default=200, ge=0)
    seed: int | None = None
    """Seed of the survey bootstraps; default: ``[analysis] seed``."""


class SegmentsConfig(_Section):
    """Segmentation, index and churn settings."""

    rfm_scheme: str = "classic11"
    rfm_bins: int = Field(default=5, ge=2, le=10)
    index_weights: str = "ahp"
    churn_horizon_days: int | None = Field(default=None, gt=0)
    """Horizon of the churn-risk label (no order within it); default: the inactivity window."""
    quadrant_satisfaction_cut: float = Field(default=0.75, ge=0, le=1)
    """High satisfaction at or above this rescaled CSAT (0.75 = 4 on a 1-5 scale)."""
    quadrant_loyalty_cut: float | None = Field(default=None, ge=0, le=1)
    """High behavioural loyalty at or above this (0-1); None = the median customer."""


Severity = Literal["high", "medium", "low"]
WEBHOOK_KINDS = ("json", "wecom", "dingtalk", "feishu", "slack")


class MonitorMetric(_Section):
    """``[monitor.metrics.<metric id>]``: thresholds and settings of one monitored metric."""

    enabled: bool = True
    direction: Literal["down", "up", "both"] | None = None
    """Which change is bad (alerted at full severity); the other direction is at most "low".
    Default: "up" for churn, complaints, returns, intervals and resolution times, else "down"."""
    min: float | None = None
    """Alert when the value falls below this (units of the report: shares for rates)."""
    max: float | None = None
    """Alert when the value rises above this."""
    target: float | None = None
    """Shown with every check; crossing it to the bad side raises a "low" alert. Default:
    ``[analysis.targets]``."""
    threshold_severity: Severity = "high"
    """Severity of a ``min`` / ``max`` breach."""
    min_n: int | None = Field(default=None, ge=1)
    high_p: float | None = Field(default=None, gt=0, lt=1)
    medium_p: float | None = Field(default=None, gt=0, lt=1)
    high_change: float | None = Field(default=None, gt=0)
    """A bad change of at least this share of the expected value with a p-value below
    ``medium_p`` is "high" (default: ``[monitor] high_change`` for volumes, none for rates)."""
    lag: int | None = Field(default=None, ge=0, le=24)
    """Full periods after a period's end until its value is final (returns, resolutions)."""

    @model_validator(mode="after")
    def _ordered(self) -> MonitorMetric:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        if self.high_p is not None and self.medium_p is not None and self.high_p > self.medium_p:
            raise ValueError(f"high_p ({self.high_p}) is above medium_p ({self.medium_p})")
        return self


class WebhookTarget(_Section):
    """``[[monitor.notify.webhooks]]``: one chat robot or JSON endpoint."""

    kind: Literal["json", "wecom", "dingtalk", "feishu", "slack"]
    """json (the monitor's JSON), wecom (企业微信), dingtalk (钉钉), feishu (飞书), slack."""
    url: str
    secret_env: str | None = None
    """Environment variable holding the signing secret (钉钉 加签, 飞书 签名校验)."""
    name: str | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        if parts.username or parts.password:
            raise ValueError("credentials in a webhook URL are not allowed; use secret_env")
        return url


class EmailTarget(_Section):
    """``[monitor.notify.email]``: SMTP delivery. The password never sits in the file: it is
    read from the environment variable ``password_env``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """"none" is refused when credentials are set (they would cross the network in clear)."""
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    username_env: str | None = "LOYALSCOPE_SMTP_USER"
    password_env: str | None = "LOYALSCOPE_SMTP_PASSWORD"
    ca_file: str | None = None
    """PEM file of the certificate authority that signed the server's certificate (default:
    the system's)."""

    @field_validator("sender", "to")
    @classmethod
    def _addresses(cls, value: str | list[str]) -> str | list[str]:
        for a in [value] if isinstance(value, str) else value:
            if "@" not in a or any(c in a for c in "\r\n,;<> "):
                raise ValueError(f"{a!r} is not one e-mail address")
        return value


class NotifyConfig(_Section):
    """``[monitor.notify]``: where ``loyalscope monitor --notify`` sends its one message."""

    lang: Literal["zh", "en"] | None = None
    """Language of the message (default: ``locale``)."""
    min_severity: Severity = "low"
    """Alerts below this severity are left out of the message."""
    send_empty: bool = False
    """Also send a message when there is no alert (a heartbeat)."""
    timeout: float = Field(default=10.0, gt=0, le=120)
    """Seconds for each network call."""
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0, le=60)
    """Seconds before the first retry; doubled at each further retry."""
    max_alerts: int = Field(default=20, ge=1, le=200)
    """Alerts listed in the message (the rest are counted)."""
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    email: EmailTarget | None = None


class MonitorConfig(_Section):
    """``[monitor]``: the metric monitor (``loyalscope monitor`` and the report's monitoring
    section). See ``loyalscope.monitoring`` for the tests."""

    period: Period = "month"
    include: list[str] | None = None
    """Metric ids to watch (default: every headline metric the data can compute)."""
    exclude: list[str] = Field(default_factory=list)
    segments: list[str] | None = None
    """customers columns whose segments are checked and named as drivers (default: region,
    channel and member_tier where present)."""
    segment_metrics: list[str] | None = None
    """Metrics whose every segment is checked on its own (default: the volumes and the core
    rates, see ``loyalscope.monitoring.catalogue.SEGMENT_CHECKED``); the other metrics are
    split by segment only to name the drivers of an alert."""
    min_n: int = Field(default=30, ge=1)
    """A period whose sample (denominator) is smaller is not alerted on."""
    min_history: int = Field(default=6, ge=3, le=60)
    """Full periods of history needed before a period is checked."""
    level: float = Field(default=0.99, gt=0.5, lt=1)
    """Coverage of the expected range; a value outside it is at least a "low" alert."""
    medium_p: float = Field(default=1e-3, gt=0, lt=1)
    high_p: float = Field(default=1e-5, gt=0, lt=1)
    """Two-sided p-values below which a change in the bad direction is "medium" / "high"."""
    high_change: float = Field(default=0.2, gt=0)
    """A bad change of a volume (orders, revenue, buyers, new customers, complainants) by at
    least this share of its expected value, with a p-value below ``medium_p``, is "high"."""
    halflife: float = Field(default=2.0, gt=0, le=60)
    """Half-life in periods of the EWMA baselines."""
    seasonal: Literal["auto", "on", "off"] = "auto"
    """Baseline from the same period last year: "auto" uses it where it forecast the metric's
    own history better."""
    max_drivers: int = Field(default=3, ge=1, le=20)
    metrics: dict[str, MonitorMetric] = Field(default_factory=dict)
    notify: NotifyConfig = Field(default_factory=NotifyConfig, exclude=True)
    """Delivery settings; never written into analysis.json (webhook URLs carry tokens)."""

    @model_validator(mode="after")
    def _ordered(self) -> MonitorConfig:
        if not self.high_p <= self.medium_p <= 1 - self.level:
            raise ValueError(
                f"need high_p ({self.high_p}) <= medium_p ({self.medium_p}) <= 1 - level "
                f"({1 - self.level:g})")
        return self

    def metric(self, metric_id: str) -> MonitorMetric:
        """Settings of ``metric_id`` (defaults where not configured)."""
        return self.metrics.get(metric_id) or MonitorMetric()
class DuckDBSettings(_Section):
    """DuckDB settings (``SET memory_limit`` ...; https://duckdb.org/docs/configuration/overview)."""

    memory_limit: str | None = Field(default=None, pattern=r"^\s*\d+(\.\d+)?\s*[KMGT]?i?B\s*$")
    """Most memory DuckDB may use before spilling to ``temp_directory``, e.g. "4GB"; None: a
    quarter of the machine's memory, at least 512 MiB and at most 1 GiB
    (:func:`loyalscope.engine.default_memory_limit`)."""
    threads: int | None = Field(default=None, ge=1)
    """Worker threads; None: one per core."""
    temp_directory: str | None = None
    """Where DuckDB spills when the memory limit is reached; None: a private temporary folder
    of the process, removed at exit."""
    compress: bool = False
    """Compress the loaded tables of an in-memory DuckDB (a third of the memory, ~9% more time:
    :func:`loyalscope.engine.compress_tables`): less to spill when the memory limit is low."""


class SparkSettings(_Section):
    """Spark settings for ``[engine] use = "spark"`` (https://spark.apache.org/docs/latest/configuration.html)."""

    master: str = "local[2]"
    """``local[N]``, ``spark://host:7077``, ``yarn``, ``k8s://...``, or a Spark Connect URL
    ``sc://host:15002`` (then the other settings belong to the server)."""
    shuffle_partitions: int = Field(default=4, ge=1)
    """``spark.sql.shuffle.partitions``: about 2-3 per core of the cluster."""
    driver_memory: str = "2g"
    """``spark.driver.memory``: the driver holds only per-distinct statistics and aggregates."""
    executor_memory: str | None = None
    """``spark.executor.memory`` on a cluster; None: Spark's default."""
    warehouse_dir: str | None = None
    """``spark.sql.warehouse.dir``; None: a private temporary folder removed at exit, so two
    runs in one folder never collide. Set it (with ``catalog = "hive"``) to read tables kept
    in a Spark warehouse (``loyalscope analyze pyspark://``)."""
    catalog: Literal["in-memory", "hive"] = "in-memory"
    """``spark.sql.catalogImplementation``."""
    python: str | None = None
    """The Python of the workers (``PYSPARK_PYTHON``); None: the running interpreter, which has
    pandas and pyarrow. On a cluster: the path of a Python with them on every worker."""
    conf: dict[str, str] = Field(default_factory=dict)
    """Any other Spark setting, e.g. ``"spark.executor.cores" = "4"``."""


class EngineConfig(_Section):
    """Where the data work runs."""

    use: str = "duckdb"
    """``duckdb`` (in memory), ``duckdb:PATH`` (a DuckDB file), ``spark``, or a database URL
    (``postgres://user:password@host:5432/db``)."""
    duckdb: DuckDBSettings = Field(default_factory=DuckDBSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)


class AnalysisConfig(_Section):
    """Everything an analysis can be told. ``AnalysisConfig.load(path)`` reads a TOML file."""

    locale: str = "zh"
    data: DataConfig = Field(default_factory=DataConfig)
    mapping: dict[str, dict[str, str]] = Field(default_factory=dict)
    units: dict[str, dict[str, str | int]] = Field(default_factory=dict)
    """Table -> money column -> the multiple of the currency its values are in, where the header
    does not say it: ``[units] transactions.amount = "万元"`` (or ``"千元"``, ``"百万元"``,
    ``"thousands"``, ``10000``): its values are multiplied by it, with a note
    (:mod:`loyalscope.data.units`). A header that states another unit is an error."""
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    value: ValueConfig = Field(default_factory=ValueConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    survey: SurveyConfig = Field(default_factory=SurveyConfig)
    segments: SegmentsConfig = Field(default_factory=SegmentsConfig)
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    source_path: str | None = Field(default=None, exclude=True)

    @field_validator("units", mode="before")
    @classmethod
    def _units_by_table(cls, value: Any) -> Any:
        """``[units] amount = "万元"`` names no table: say which key to write, not that a
        dictionary was expected."""
        if isinstance(value, dict):
            for key, unit in value.items():
                if not isinstance(unit, dict):
                    raise ValueError(t("core.config.units_no_table", key=key, value=unit))
        return value

    @field_validator("units")
    @classmethod
    def _money_units(cls, value: dict[str, dict[str, str | int]]) -> dict[str, dict[str, str | int]]:
        from loyalscope.data import schema
        from loyalscope.data.units import setting_multiple

        for table, columns in value.items():
            # the tables data.shapes makes (orders, order_lines) are read from no file
            spec = schema.TABLES.get(table) if table not in schema.SHAPED_TABLES else None
            money = [c.name for c in spec.columns if c.unit == "currency"] if spec else []
            for column, unit in columns.items():
                key = f"{table}.{column}"
                if column not in money:
                    raise ValueError(t("core.config.units_not_money", key=key,
                                       money=", ".join(f"{n}.{c.name}" for n, tb in schema.TABLES.items()
                                                       if n not in schema.SHAPED_TABLES
                                                       for c in tb.columns if c.unit == "currency")))
                if setting_multiple(unit) is None:
                    raise ValueError(t("core.config.units_unknown", key=key, value=unit))
        return value

    def unit_multiple(self, table: str, column: str) -> tuple[int, str] | None:
        """``[units] <table>.<column>``: its multiple and the value as written, or None."""
        from loyalscope.data.units import setting_multiple

        value = self.units.get(table, {}).get(column)
        multiple = None if value is None else setting_multiple(value)
        return None if multiple is None else (multiple, str(value))

    @property
    def survey_seed(self) -> int:
        """``[survey] seed`` when given, else the analysis-wide ``[analysis] seed``."""
        return self.analysis.seed if self.survey.seed is None else self.survey.seed

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> AnalysisConfig:
        """Read ``path`` (TOML) if given, then apply ``overrides`` (dotted keys allowed)."""
        raw: dict[str, Any] = {}
        if path is not None:
            p = Path(path)
            if not p.exists():
                raise ConfigError(t("core.input_errors.config_missing", path=p), file=str(p),
                                  fix=t("core.input_errors.config_missing_fix"))
            try:
                raw = tomllib.loads(p.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(t("core.input_errors.config_toml", path=p, error=exc), file=str(p),
                                  fix=t("core.input_errors.config_toml_fix")) from exc
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
