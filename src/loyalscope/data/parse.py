"""Vectorised value parsing: amounts, dates and times, booleans, identifiers.

Every parser takes a pandas Series and returns ``(values, bad)`` where ``bad`` marks the
non-empty inputs that could not be read (empty inputs are NA and not bad). Text is handled
with pandas string operations on Arrow-backed strings, so ten million rows take seconds.
Columns that already carry the right type (Parquet, databases, frames) are not re-parsed.

Supported spellings
-------------------
amounts   ``1,234.50``  ``¥1,200``  ``￥300元``  ``RMB 5``  ``$12``  ``(300)`` (= -300)  full-width digits
dates     ``2024-01-05``  ``2024/1/5``  ``2024.1.5``  ``2024年1月5日``  ``05/01/2024`` (day- or month-first,
          see ``[data] dayfirst``)  ``20240105``, each optionally with a time ``10:30[:15[.123]]``
          (``10时30分``) and an offset (``Z``, ``+08:00``: converted to ``[data] timezone``, stored naive);
          Excel serial days (10,000 to 100,000: 1927 to 2173); epoch seconds (1e9 to 1e11) and milliseconds (1e11 to 1e14)
booleans  是/否 对/错 有/无 Y/N yes/no true/false T/F 1/0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.errors import DataQualityError
from loyalscope.i18n import t

STR = "string[pyarrow]"
_TRUE = ("是", "对", "有", "真", "y", "yes", "true", "t", "1", "1.0", "已", "✓")
_FALSE = ("否", "错", "无", "假", "n", "no", "false", "f", "0", "0.0", "未", "✗")
_BOOL = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
_ISO_RE = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
_YMD_RE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?: \d{1,2}:\d{1,2}(?::\d{1,2})?)?"
_DATE_RE = (
    r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def clean(s: pd.Series) -> pd.Series:
    """Strings, NFKC-normalised where non-ASCII (full-width digits, ￥), stripped; "" -> NA.

    The result is marked (``attrs["ls_clean"]``) so that cleaning it again is free.
    """
    if s.attrs.get("ls_clean"):
        return s
    out = s.astype(STR)
    wide = out.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False)
    if wide.any():
        out = out.copy()
        out[wide] = out[wide].astype(object).str.normalize("NFKC").astype(STR)
    out = out.str.strip()
    out = out.mask(out == "")
    out.attrs["ls_clean"] = True
    return out


def parse_string(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers and labels: stripped strings; integral floats lose their ``.0``."""
    if pd.api.types.is_float_dtype(s.dtype):
        finite = s.dropna()
        if len(finite) and np.all(np.mod(finite, 1) == 0):
            s = s.astype("Int64")
    out = clean(s)
    return out.astype("string"), pd.Series(False, index=s.index)


def parse_number(s: pd.Series, percent: bool = False) -> tuple[pd.Series, pd.Series]:
    """Numbers and money: thousands separators, currency signs, (negatives), full width."""
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64"), pd.Series(False, index=s.index)
    txt = clean(s)
    present = txt.notna()
    txt = txt.str.replace("\u2212", "-", regex=False)
    neg = txt.str.match(r"^\(.*\)$").fillna(False)
    txt = txt.str.replace(r"RMB|CNY|USD|EUR|元|[¥$€£()\s]", "", regex=True)
    grouped = txt.str.match(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$").fillna(False)
    txt = txt.where(~grouped, txt.str.replace(",", "", regex=False))
    pct = txt.str.endswith("%").fillna(False) if percent else pd.Series(False, index=s.index)
    if percent:
        txt = txt.str.rstrip("%")
    num = pd.to_numeric(txt.astype(object), errors="coerce").astype("float64")
    num = num.where(~neg, -num.abs())
    num = num.where(~pct, num / 100.0)
    return num, present & num.isna()


def parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, Y/N, true/false, 1/0 ... -> nullable boolean."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    txt = clean(s).str.lower()
    out = txt.astype(object).map(_BOOL).astype("boolean")
    return out, txt.notna() & out.isna()


def parse_datetime(
    s: pd.Series,
    *,
    dayfirst: bool | None = None,
    timezone: str = "UTC",
    file: str | None = None,
    column: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Dates and times -> naive ``datetime64[us]`` wall-clock time in ``timezone``.

    Raises
    ------
    DataQualityError
        ``dayfirst`` is None and the a/b/yyyy dates cannot be told apart (none has a part above
        12 while some are ambiguous), or some are clearly day-first and others month-first.
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return _naive(s.dt.tz_convert(timezone)), pd.Series(False, index=s.index)
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.astype("datetime64[us]"), pd.Series(False, index=s.index)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype("float64")
        _numeric_dates(num, num.notna(), out, timezone)
        return out, num.notna() & out.isna()
    txt = clean(s)
    present = txt.notna()
    iso = txt.str.fullmatch(_ISO_RE).fillna(False)
    if iso.any():  # fast path: plain ISO dates without offsets, parsed in C
        out[iso] = pd.to_datetime(txt[iso].astype(object), format="ISO8601", errors="coerce")
    rest = present & ~iso
    if not rest.any():
        return out, present & out.isna()
    txt = txt[rest]
    cjk = txt.str.contains(r"[年月日号时点分秒]", regex=True).fillna(False)
    if cjk.any():
        txt = txt.copy()
        txt[cjk] = (txt[cjk].str.replace(r"[年月]", "-", regex=True).str.replace(r"[日号]", " ", regex=True)
                    .str.replace(r"[时点分]", ":", regex=True).str.replace("秒", "", regex=False)
                    .str.replace(r"\s+", " ", regex=True).str.strip().str.rstrip(":-"))
    ymd = txt.str.fullmatch(_YMD_RE).fillna(False)
    if ymd.any():  # second fast path: 2024/1/5 [10:30[:15]] via strptime formats in C
        _ymd_dates(txt[ymd].str.replace(r"[/.]", "-", regex=True), out)
        txt = txt[~ymd | out.loc[txt.index].isna()]
    is_num = txt.str.fullmatch(r"\d+(\.\d+)?").fillna(False)
    if is_num.any():
        _numeric_dates(pd.to_numeric(txt.where(is_num).astype(object), errors="coerce"), is_num, out,
                       timezone)
    parts = txt.where(~is_num).str.extract(_DATE_RE)
    ok = parts[0].notna()
    if ok.any():
        _text_dates(parts[ok], txt[ok], out, dayfirst, timezone, file, column)
    return out, present & out.isna()


def _ymd_dates(txt: pd.Series, out: pd.Series) -> None:
    colons = txt.str.count(":").to_numpy()
    for n, fmt in ((2, "%Y-%m-%d %H:%M:%S"), (1, "%Y-%m-%d %H:%M"), (0, "%Y-%m-%d")):
        sub = txt[colons == n]
        if len(sub):
            out.loc[sub.index] = pd.to_datetime(sub.astype(object), format=fmt, errors="coerce")


def _numeric_dates(num: pd.Series, mask: pd.Series, out: pd.Series, tz: str) -> None:
    num = num[mask.to_numpy()]
    ymd = (num >= 19000101) & (num <= 21001231) & (np.mod(num, 1) == 0)
    if ymd.any():
        out.loc[num.index[ymd]] = pd.to_datetime(num[ymd].astype("int64").astype(str), format="%Y%m%d",
                                                 errors="coerce")
    serial = ~ymd & (num >= 10_000) & (num < 100_000)
    if serial.any():
        out.loc[num.index[serial]] = (pd.Timestamp("1899-12-30")
                                      + pd.to_timedelta(num[serial] * 86400.0, unit="s").round("s"))
    for lo, hi, unit in ((1e9, 1e11, "s"), (1e11, 1e14, "ms")):
        m = ~ymd & (num >= lo) & (num < hi)
        if m.any():
            out.loc[num.index[m]] = _naive(pd.to_datetime(num[m], unit=unit, utc=True).dt.tz_convert(tz))


def _text_dates(
    parts: pd.DataFrame, raw: pd.Series, out: pd.Series, dayfirst: bool | None, tz: str,
    file: str | None, column: str | None,
) -> None:
    a, b, c = (pd.to_numeric(parts[i].astype(object)) for i in range(3))
    ymd = (parts[0].str.len() == 4).fillna(False)
    dmy = ~ymd & parts[2].str.len().isin([2, 4]).fillna(False)
    year = a.where(ymd, c.where(parts[2].str.len() == 4, c + 2000))
    if dmy.any():
        dayfirst = _decide_dayfirst(a[dmy], b[dmy], raw[dmy], dayfirst, file, column)
    first_is_day = dmy & bool(dayfirst)
    month = b.where(ymd | first_is_day, a)
    day = c.where(ymd, a.where(first_is_day, b))
    frac = parts[6].fillna("0").str.pad(6, side="right", fillchar="0").str.slice(0, 6)
    fields = pd.DataFrame({
        "year": year.where(ymd | dmy), "month": month, "day": day,
        "hour": pd.to_numeric(parts[3].astype(object)).fillna(0),
        "minute": pd.to_numeric(parts[4].astype(object)).fillna(0),
        "second": pd.to_numeric(parts[5].astype(object)).fillna(0),
        "us": pd.to_numeric(frac.astype(object)),
    })
    stamp = pd.to_datetime(fields, errors="coerce")
    off = parts[7]
    has_off = off.notna()
    if has_off.any():
        o = off[has_off].str.replace(":", "", regex=False)
        sign = np.where(o.str.startswith("-"), -1, 1)
        digits = o.str.lstrip("+-").str.pad(4, side="right", fillchar="0").where(o != "Z", "0000")
        minutes = sign * (pd.to_numeric(digits.str.slice(0, 2).astype(object)) * 60
                          + pd.to_numeric(digits.str.slice(2, 4).astype(object)))
        utc = stamp[has_off] - pd.to_timedelta(minutes, unit="m")
        stamp[has_off] = _naive(utc.dt.tz_localize("UTC").dt.tz_convert(tz))
    out.loc[parts.index] = stamp.astype("datetime64[us]")


def _decide_dayfirst(
    a: pd.Series, b: pd.Series, raw: pd.Series, dayfirst: bool | None, file: str | None,
    column: str | None,
) -> bool:
    if dayfirst is not None:
        return dayfirst
    day_ev, month_ev = a > 12, b > 12
    if day_ev.any() and month_ev.any():
        raise DataQualityError(
            t("data.validate.mixed_dates", dayfirst=raw[day_ev].iloc[0], monthfirst=raw[month_ev].iloc[0]),
            file=file, column=column, value=raw[day_ev].iloc[0], fix=t("data.validate.mixed_dates_fix"),
        )
    if day_ev.any():
        return True
    if month_ev.any():
        return False
    ambiguous = a != b
    if ambiguous.any():
        examples = ", ".join(list(dict.fromkeys(raw[ambiguous].head(50)))[:3])
        raise DataQualityError(
            t("data.validate.ambiguous_dates", examples=examples), file=file, column=column,
            value=raw[ambiguous].iloc[0], fix=t("data.validate.ambiguous_dates_fix"),
        )
    return False


def _naive(s: pd.Series) -> pd.Series:
    return s.dt.tz_localize(None).astype("datetime64[us]")
