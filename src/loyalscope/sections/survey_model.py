"""Report section: the ACSI / ECSI satisfaction model fitted on the survey items.

Uses the ``surveys`` items ``q_<block><k>``: ``q_imag*, q_expe*, q_qual*, q_val*, q_sat*, q_loy*``
give the ECSI model; without image but with ``q_compl*`` (complaints) the ACSI model. The model
is a PLS path model (:mod:`loyalscope.models.survey.plspm`) on standardised items, estimated by
consistent PLS (PLSc) since every block is reflective, with the plain PLS coefficients beside
them; respondents with a missing item are left out. Blocks: the path diagram with coefficients
and R squared, the path table (PLSc, PLS, bootstrap interval), the 0-100 indices (Fornell's
formula on the observed item range), the reliability table with rho_A, inner VIFs and HTMT with
its bootstrap interval.
"""

from __future__ import annotations

import re

import pandas as pd

from loyalscope.data.dataset import Dataset
from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import t
from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_assess import htmt_interval, inner_vif
from loyalscope.models.survey.plspm_spec import acsi_spec, ecsi_spec
from loyalscope.models.survey.reliability import reliability_table
from loyalscope.results import Chart, Number, Section, Table, Text
from loyalscope.sections.context import SectionContext

SECTION_ID = "survey_model"

_PREFIX = {"imag": "Image", "expe": "Expectations", "qual": "Quality", "val": "Value",
           "sat": "Satisfaction", "compl": "Complaints", "loy": "Loyalty"}
_ECSI = ("imag", "expe", "qual", "val", "sat", "loy")
_ACSI = ("expe", "qual", "val", "sat", "compl", "loy")
_ITEM = re.compile(r"^q_(imag|expe|qual|val|sat|compl|loy)(\d+)$")
MIN_RESPONDENTS = 30


def find_items(columns: list[str]) -> dict[str, list[str]]:
    """Group survey columns ``q_<block><k>`` by block prefix, items in numeric order."""
    found: dict[str, list[tuple[int, str]]] = {}
    for col in columns:
        m = _ITEM.match(col)
        if m:
            found.setdefault(m.group(1), []).append((int(m.group(2)), col))
    return {k: [c for _, c in sorted(v)] for k, v in found.items()}


def choose_model(items: dict[str, list[str]], preferred: str | None = None) -> tuple[str, dict[str, list[str]]]:
    """Return ("ecsi" | "acsi", blocks) for the items present; InsufficientDataError if neither fits."""
    order = [preferred] if preferred else ["ecsi", "acsi"]
    for name in order:
        prefixes = _ECSI if name == "ecsi" else _ACSI
        if all(p in items for p in prefixes):
            return name, {_PREFIX[p]: items[p] for p in prefixes}
    raise InsufficientDataError(t("survey_model.errors.no_items"), fix=t("survey_model.section.no_items_fix"))


def build(ds: Dataset, ctx: SectionContext) -> Section:
    """Fit the ECSI (or ACSI) model on ``surveys.q_*`` and lay out diagram, index and reliability."""
    surveys = ds.table("surveys")
    items = find_items(list(surveys.columns))
    name, blocks = choose_model(items, ctx.config.survey.model)
    cols = [c for v in blocks.values() for c in v]
    # in a fixed row order: the bootstrap resamples rows by position, and an engine returns rows
    # in any order (Spark's intervals differed from DuckDB's on the same data)
    keys = [c for c in ("survey_id", "customer_id", "answered_ts") if c in surveys.columns]
    rows = surveys.select(*keys, *cols).order_by([*keys, *cols]).execute()
    data = rows[cols].apply(pd.to_numeric, errors="coerce").dropna()
    if len(data) < max(MIN_RESPONDENTS, ctx.config.survey.min_n):
        raise InsufficientDataError(
            t("survey_model.section.too_few", n=len(data), need=max(MIN_RESPONDENTS, ctx.config.survey.min_n)),
            fix=t("survey_model.section.too_few_fix"),
        )
    spec = ecsi_spec(blocks) if name == "ecsi" else acsi_spec(blocks)
    model = PLSPM.from_spec(spec).fit(data.reset_index(drop=True))
    ctx.results["survey_model"] = model

    edges = pd.DataFrame([{"source": a, "target": b, "coef": c}
                          for (a, b), c in zip(spec.paths, model.path_dict().values(), strict=True)])
    n_boot = ctx.config.survey.bootstrap
    if n_boot > 0:
        boot = model.bootstrap(n_boot, seed=ctx.config.survey_seed, bca=False).loc["path"]
        edges["lo"] = boot["perc_lo"].to_numpy()
        edges["hi"] = boot["perc_hi"].to_numpy()
    r2 = {k: float(v) for k, v in model.r2_.items()}
    index = model.index(errors="coerce")
    lvs = list(blocks)
    index_frame = pd.DataFrame({"lv": lvs, "index": [index[lv] for lv in lvs],
                                "r2": [r2.get(lv) for lv in lvs]})
    rel = reliability_table(data, blocks, model.loadings_).reset_index()
    rel.insert(rel.columns.get_loc("rho") + 1, "rho_a", rel["lv"].map(model.rho_a_).to_numpy())
    estimator = "PLSc" if model.consistent_ else "PLS"
    paths = edges.assign(path=[f"{a} -> {b}" for a, b in zip(edges.source, edges.target, strict=True)],
                         coef_pls=[float(model.path_coefs_pls_.loc[b, a]) for a, b in spec.paths])
    vif = inner_vif(model)
    htmt = htmt_interval(model, n_boot=max(n_boot, 100), seed=ctx.config.survey_seed)

    section = Section(SECTION_ID)
    section.add(
        Text("survey_model.section.intro", {"model": name.upper(), "n": len(data)}),
        Text(f"survey_model.section.estimator_{estimator.lower()}", style="note"),
        Chart(kind="path_diagram", title="survey_model.diagram", frame=edges,
              options={"r2": r2, "model": name, "bootstrap": n_boot}),
        Number(label="survey_model.gof", value=model.gof_, unit="ratio", denominator=len(data)),
        Table(title="survey_model.section.paths_table", frame=paths[["path", "coef", "coef_pls",
                                                                    *(c for c in ("lo", "hi") if c in paths)]],
              columns={"path": "survey_model.columns.path", "coef": "survey_model.columns.coef_estimator",
                       "coef_pls": "survey_model.columns.coef_pls", "lo": "survey_model.columns.lo",
                       "hi": "survey_model.columns.hi"}),
        Table(title="survey_model.index", frame=index_frame,
              columns={"lv": "survey_model.columns.lv", "index": "survey_model.index", "r2": "survey_model.r2"}),
        Table(title="survey_model.reliability", frame=rel,
              columns={"lv": "survey_model.columns.lv", "alpha": "survey_model.columns.alpha",
                       "alpha_std": "survey_model.columns.alpha_std", "rho": "survey_model.columns.rho",
                       "rho_a": "survey_model.columns.rho_a",
                       "ave": "survey_model.columns.ave", "htmt_max": "survey_model.columns.htmt",
                       "flags": "survey_model.columns.flags"},
              note="survey_model.section.thresholds"),
    )
    section.add(
        Table(title="survey_model.section.vif", frame=vif,
              columns={"target": "survey_model.columns.target", "source": "survey_model.columns.source",
                       "vif": "survey_model.columns.vif"}, note="survey_model.section.vif_note"),
        Table(title="survey_model.section.htmt", frame=htmt[["lv_1", "lv_2", "htmt", "lower", "upper"]],
              columns={"lv_1": "survey_model.columns.lv", "lv_2": "survey_model.columns.lv_other",
                       "htmt": "survey_model.columns.htmt_value", "lower": "survey_model.columns.lo",
                       "upper": "survey_model.columns.hi"},
              note="survey_model.section.htmt_note", note_kw={"n": htmt.attrs["n_boot"]}),
    )
    if model.consistent_ and not model.admissible_:
        section.add(Text("survey_model.section.inadmissible", style="warning"))
    if rel["flags"].astype(bool).any():
        section.add(Text("survey_model.section.breaches",
                         {"lvs": ", ".join(rel.loc[rel["flags"].astype(bool), "lv"])}, style="warning"))
    section.data = {"model": name, "n": len(data), "paths": model.path_dict(), "r2": r2,
                    "gof": model.gof_, "index": {k: float(v) for k, v in index.items()},
                    "estimator": estimator, "admissible": model.admissible_,
                    "paths_pls": dict(zip(paths.path, paths.coef_pls, strict=True)),
                    "rho_a": {k: float(v) for k, v in model.rho_a_.items()},
                    "vif": vif.to_dict("records"), "htmt": htmt.to_dict("records")}
    return section
