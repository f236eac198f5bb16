"""Dated reference data: World Bank WDI series, regions and income groups, ILO earnings.

Files live in ``data/reference/`` (see its SOURCE.md) or, after ``olm reference update``, in the
folder named by ``OLM_REFERENCE_DIR``; each file name carries its vintage and
``vintages.csv`` lists them. Every loader returns a Polars frame keyed by ISO alpha-2
``country``.

Picking a year: ``for_year(indicator, year)`` gives each country its value for *year* or, when
that is missing, for the latest earlier year within ``max_lag`` years; the year used is a column
and every fallback is named in a ``ReferenceDataWarning``. Countries with no value in the window
are named in a warning and left null, never zero and never another economy's value.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from olmstats import countries as country_table
from olmstats.errors import InputError
from olmstats.paths import data_file

INDICATORS: dict[str, str] = {
    "gdp_pc_usd": "NY.GDP.PCAP.CD",
    "gdp_pc_ppp": "NY.GDP.PCAP.PP.CD",
    "ppp_factor": "PA.NUS.PPP",
    "fx_lcu_per_usd": "PA.NUS.FCRF",
    "price_level_ratio": "PA.NUS.PPPC.RF",
    "gdp_usd": "NY.GDP.MKTP.CD",
    "population": "SP.POP.TOTL",
    "labour_force": "SL.TLF.TOTL.IN",
    "unemployment_pct": "SL.UEM.TOTL.ZS",
    "cpi": "FP.CPI.TOTL",
    "ppp_private": "PA.NUS.PRVT.PP",
}
DEFAULT_MAX_LAG = 5
ILO_ALIASES = {"Tanzania, United Republic of": "TZ", "Côte d'Ivoire": "CI"}


class ReferenceDataWarning(UserWarning):
    """A country or year the reference data cannot serve, or served from another year."""


@dataclass(frozen=True)
class Vintage:
    file: Path
    dataset: str
    indicator: str
    meaning: str
    vintage: str
    first_year: int
    last_year: int


def user_reference_dir() -> Path:
    """Where ``olm reference update`` writes: OLM_REFERENCE_DIR, else a per-user data folder."""
    if os.environ.get("OLM_REFERENCE_DIR"):
        return Path(os.environ["OLM_REFERENCE_DIR"])
    return Path.home() / ".local" / "share" / "olmstats" / "reference"


def reference_dirs() -> list[Path]:
    """Where reference files are looked for: the update folder (if any), then shipped data.
    Among all of them, the newest vintage of each indicator is used unless one is named."""
    return [user_reference_dir(), data_file("reference")]


def vintages() -> list[Vintage]:
    found: list[Vintage] = []
    for folder in reference_dirs():
        manifest = folder / "vintages.csv"
        if not manifest.is_file():
            continue
        with manifest.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                found.append(
                    Vintage(
                        folder / row["file"],
                        row["dataset"],
                        row["indicator"],
                        row["meaning"],
                        row["vintage"],
                        int(row["first_year"]),
                        int(row["last_year"]),
                    )
                )
    return found


def vintage_table() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "indicator": v.indicator,
                "meaning": v.meaning,
                "vintage": v.vintage,
                "years": f"{v.first_year}-{v.last_year}",
                "file": str(v.file),
            }
            for v in vintages()
        ]
    )


def _pick(indicator: str, vintage: str | None) -> Vintage:
    options = [v for v in vintages() if v.indicator == indicator]
    if not options:
        raise InputError(f"no reference file for {indicator}")
    if vintage is not None:
        chosen = [v for v in options if v.vintage == vintage]
        if not chosen:
            have = ", ".join(sorted({v.vintage for v in options}))
            raise InputError(f"no {indicator} vintage {vintage}; available: {have}")
        return chosen[0]
    return max(options, key=lambda v: v.vintage)


@cache
def _iso3_to_iso2() -> dict[str, str]:
    return {c.iso3: c.iso2 for c in country_table.countries().values() if c.iso3}


@cache
def _read_wdi(path: Path, wide: bool = False) -> pl.DataFrame:
    if wide:
        frame = read_wdi_download(path)
    else:
        frame = pl.read_csv(path, schema_overrides={"Value": pl.Float64, "Year": pl.Int64})
    return frame.select(
        country=pl.col("Country Code").replace_strict(_iso3_to_iso2(), default=None),
        iso3=pl.col("Country Code"),
        year=pl.col("Year"),
        value=pl.col("Value"),
    ).drop_nulls("country")


def read_wdi_download(path: Path) -> pl.DataFrame:
    """The World Bank's "Download CSV" file (BOM, four preamble lines, one column per year,
    an empty last column) as the long ``Country Name,Country Code,Year,Value`` frame."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[4:]
    header, body = rows[0], rows[1:]
    years = [(i, int(h)) for i, h in enumerate(header) if h.strip().isdigit()]
    long = [
        (row[0], row[1], year, float(row[i]))
        for row in body
        for i, year in years
        if i < len(row) and row[i].strip()
    ]
    return pl.DataFrame(
        long,
        schema={
            "Country Name": pl.String,
            "Country Code": pl.String,
            "Year": pl.Int64,
            "Value": pl.Float64,
        },
        orient="row",
    )


def wdi(name: str, *, vintage: str | None = None) -> pl.DataFrame:
    """One WDI series for every economy and year: country, iso3, year, value.

    *name* is a key of ``INDICATORS`` (e.g. ``"gdp_pc_usd"``) or a WDI code.
    """
    code = INDICATORS.get(name, name.upper())
    if code not in INDICATORS.values():
        raise InputError(f"unknown indicator {name!r}: one of {', '.join(INDICATORS)}")
    chosen = _pick(code, vintage)
    return _read_wdi(chosen.file, chosen.dataset == "wdi-api")


#: Currencies shared by a currency union that WDI reports as an aggregate, by its code.
CURRENCY_AGGREGATES = {"EUR": "EMU"}


@cache
def _official_rates() -> dict[str, dict[int, float]]:
    """iso3 (aggregates included) → year → LCU per US$ (WDI PA.NUS.FCRF, newest vintage)."""
    frame = pl.read_csv(
        _pick(INDICATORS["fx_lcu_per_usd"], None).file,
        schema_overrides={"Value": pl.Float64, "Year": pl.Int64},
    ).drop_nulls("Value")
    rates: dict[str, dict[int, float]] = {}
    for iso3, year, value in frame.select("Country Code", "Year", "Value").iter_rows():
        if value > 0:
            rates.setdefault(iso3, {})[year] = value
    return rates


def official_usd_per_unit(
    currency: str, year: int, *, max_lag: int = DEFAULT_MAX_LAG
) -> tuple[float, int] | None:
    """(US$ per unit of *currency*, year used) from the WDI official rate, or None.

    The rate of *year*, or of the latest earlier year within *max_lag*; the euro from the euro
    area aggregate, another currency from the first economy using it (ISO table) that has one.
    """
    if currency == "USD":
        return 1.0, year
    rates = _official_rates()
    economies = [CURRENCY_AGGREGATES[currency]] if currency in CURRENCY_AGGREGATES else []
    economies += [
        c.iso3 for c in country_table.countries().values() if c.currency == currency and c.iso3
    ]
    for iso3 in economies:
        series = rates.get(iso3, {})
        for used in range(year, year - max_lag - 1, -1):
            if used in series:
                return 1.0 / series[used], used
    return None


def warn_countries(message: str, codes: Iterable[str]) -> None:
    listed = sorted(set(codes))
    if listed:
        warnings.warn(f"{message}: {', '.join(listed)}", ReferenceDataWarning, stacklevel=3)


def _for_year(
    series: pl.DataFrame,
    label: str,
    year: int,
    max_lag: int,
    countries: Iterable[str] | None,
    values: Sequence[str] = ("value",),
) -> pl.DataFrame:
    wanted = sorted(set(countries)) if countries is not None else None
    window = series.filter(pl.col("year").is_between(year - max_lag, year)).drop_nulls(values)
    best = (
        window.sort("year")
        .group_by("country")
        .agg(*[pl.col(v).last() for v in values], year_used=pl.col("year").last())
    )
    if wanted is not None:
        best = pl.DataFrame({"country": wanted}).join(best, on="country", how="left")
    fell_back = best.filter(pl.col("year_used") < year)
    warn_countries(
        f"{label} for {year} missing, latest earlier year used (up to {max_lag} years back)",
        [f"{c} ({y})" for c, y in fell_back.select("country", "year_used").iter_rows()],
    )
    if wanted is not None:
        warn_countries(
            f"no {label} for {year} or the {max_lag} years before; left empty",
            best.filter(pl.col("year_used").is_null())["country"].to_list(),
        )
    return best.with_columns(fallback=pl.col("year_used") < year).sort("country")


def _check_year(year: int, first: int, last: int, max_lag: int, label: str) -> None:
    if year < first or year > last + max_lag:
        raise InputError(
            f"year {year} is outside the reference range of {label} "
            f"({first}-{last}, plus up to {max_lag} years of fallback)"
        )


def latest_year(name: str, *, vintage: str | None = None) -> int:
    """The last year the series covers (in its newest vintage unless one is named)."""
    return _pick(INDICATORS.get(name, name.upper()), vintage).last_year


def for_year(
    name: str,
    year: int,
    *,
    max_lag: int = DEFAULT_MAX_LAG,
    countries: Iterable[str] | None = None,
    vintage: str | None = None,
) -> pl.DataFrame:
    """country, value, year_used, fallback: each country's value for *year* or the latest
    earlier year within *max_lag*. With *countries*, every one of them gets a row (null when
    there is no value; named in a ReferenceDataWarning)."""
    code = INDICATORS.get(name, name.upper())
    chosen = _pick(code, vintage)
    _check_year(year, chosen.first_year, chosen.last_year, max_lag, code)
    return _for_year(wdi(code, vintage=vintage), code, year, max_lag, countries)


def for_common_year(
    names: Sequence[str],
    year: int,
    *,
    max_lag: int = DEFAULT_MAX_LAG,
    countries: Iterable[str] | None = None,
) -> pl.DataFrame:
    """country, one column per name in *names*, year_used, fallback: every series of one
    country from **one** year - *year*, or the latest earlier year within *max_lag* where all of
    them are published - so that an index never mixes years. Countries of *countries* without
    such a year get nulls (named in a ReferenceDataWarning, as are fallbacks)."""
    codes = [INDICATORS.get(n, n.upper()) for n in names]
    joined: pl.DataFrame | None = None
    for name, code in zip(names, codes, strict=True):
        chosen = _pick(code, None)
        _check_year(year, chosen.first_year, chosen.last_year, max_lag, code)
        series = wdi(code).select("country", "year", pl.col("value").alias(name))
        joined = series if joined is None else joined.join(series, on=["country", "year"])
    assert joined is not None, "for_common_year needs at least one series"
    return _for_year(joined, " and ".join(codes), year, max_lag, countries, values=names)


@cache
def classification() -> pl.DataFrame:
    """country, iso3, economy, region, income_group, lending_category (218 economies, FY2026)."""
    chosen = (
        _pick("CLASS_FY2026", None)
        if any(v.indicator == "CLASS_FY2026" for v in vintages())
        else None
    )
    if chosen is None:
        raise InputError("no World Bank classification file in the reference data")
    frame = pl.read_csv(chosen.file, infer_schema=False).filter(pl.col("Region").is_not_null())
    return frame.select(
        country=pl.col("Code").replace_strict(_iso3_to_iso2(), default=None),
        iso3=pl.col("Code"),
        economy=pl.col("Economy"),
        region=pl.col("Region"),
        income_group=pl.col("Income group"),
        lending_category=pl.col("Lending category"),
    ).drop_nulls("country")


@cache
def _read_ilo(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    names = frame["ref_area.label"].unique().to_list()
    mapping = {n: ILO_ALIASES.get(n) or country_table.from_name(n) for n in names}
    return frame.select(
        country=pl.col("ref_area.label").replace_strict(mapping, default=None),
        year=pl.col("time").cast(pl.Int64),
        value=pl.col("obs_value").cast(pl.Float64),
        flag=pl.col("obs_status.label"),
    ).drop_nulls("country")


def ilo_series() -> pl.DataFrame:
    """Every year of ILO mean monthly earnings of employees: country, year, value (2021 PPP $:
    local currency of *year* ÷ that year's private-consumption PPP factor), flag."""
    return _read_ilo(_pick("EAR_4MTH_SEX_GEO_CUR_NB_A", None).file)


def ilo_monthly_earnings(
    year: int, *, max_lag: int = 10, countries: Iterable[str] | None = None
) -> pl.DataFrame:
    """Mean monthly earnings of employees, 2021 PPP $ (ILO): country, value, year_used,
    fallback, flag. The ILO series is sparse, so the default window is ten years."""
    chosen = _pick("EAR_4MTH_SEX_GEO_CUR_NB_A", None)
    _check_year(year, chosen.first_year, chosen.last_year, max_lag, "ILO monthly earnings")
    series = ilo_series()
    picked = _for_year(series.drop("flag"), "ILO mean monthly earnings", year, max_lag, countries)
    flags = series.select("country", year_used="year", flag="flag")
    return picked.join(flags, on=["country", "year_used"], how="left")
