"""Stage 3: money to US dollars, keeping the amount, its currency and the rate used.

A platform that sends its own rate with each listing (its descriptor's ``fx_field``, US$ per
unit) has it used as sent and recorded as ``fx_source = "platform:<field>"``. Amounts
already in US$ use rate 1 (``"identity"``). A non-US$ amount without a usable rate is dropped as
``missing_fx_rate``: a guessed conversion would be a silent error.

Plausibility, in US$ (ranges in olmstats.schema): a rate more than three times away from the
shipped WDI official rate of the listing's year (``olmstats.reference.official_usd_per_unit``)
is dropped as ``implausible_fx_rate`` (currencies without a reference rate are counted under
``olm/fx/unchecked/<code>``); an asking rate outside ``hourly_rate_usd``'s range, a budget or
mean bid above its range (or above ``MAX_HOURLY_USD`` per hour for hourly projects) is set to
null with its US$ value and counted under ``olm/fix/<column>``.
"""

from __future__ import annotations

from functools import cache

from olmcrawl.pipelines.stage import Stage
from olmcrawl.pipelines.validate import as_float
from olmstats.items import JobItem, OlmItem
from olmstats.money import FX_IDENTITY, platform_source
from olmstats.platforms import platform
from olmstats.reference import official_usd_per_unit
from olmstats.schema import MAX_HOURLY_USD

#: Largest ratio between the platform's rate and the reference rate (either way).
FX_TOLERANCE = 3.0


@cache
def reference_rate(currency: str, year: int) -> tuple[float, int] | None:
    return official_usd_per_unit(currency, year)


class MoneyToUsdPipeline(Stage):
    def process_item(self, item: OlmItem) -> OlmItem:
        currency = getattr(item, item.currency_field)
        amounts = [getattr(item, source) for source, _ in item.money_fields]
        if all(a is None for a in amounts) and "fx_usd_per_unit" not in item.dataset.required():
            item.fx_usd_per_unit, item.fx_source = None, None  # nothing was converted
            return item
        if currency == "USD":
            rate, source = 1.0, FX_IDENTITY
        else:
            field = platform(item.platform).fx_field
            rate = as_float(item.fx_usd_per_unit) if field else None
            source = platform_source(field) if field else None
            if rate is None or rate <= 0:
                raise self.drop(item, "missing_fx_rate", f"{currency}: {item.fx_usd_per_unit!r}")
            self.check_rate(item, currency, rate)
        item.fx_usd_per_unit, item.fx_source = rate, source
        for (field, usd_field), amount in zip(item.money_fields, amounts, strict=True):
            usd = None if amount is None else amount * rate
            if usd is not None and not self.plausible(item, usd_field, usd):
                self.count(f"fix/{usd_field}")
                setattr(item, field, None)
                usd = None
            setattr(item, usd_field, usd)
        return item

    def check_rate(self, item: OlmItem, currency: str, rate: float) -> None:
        year = (
            item.posted_at if isinstance(item, JobItem) and item.posted_at else item.observed_at
        ).year
        reference = reference_rate(currency, year)
        if reference is None:
            self.count(f"fx/unchecked/{currency}")
            return
        expected, used = reference
        if not 1 / FX_TOLERANCE <= rate / expected <= FX_TOLERANCE:
            raise self.drop(
                item,
                "implausible_fx_rate",
                f"{currency} at {rate} US$ against {expected:.6g} (WDI {used})",
            )

    @staticmethod
    def plausible(item: OlmItem, usd_field: str, usd: float) -> bool:
        if not item.dataset.column(usd_field).within(usd):
            return False
        return not (
            isinstance(item, JobItem) and item.job_type == "hourly" and usd > MAX_HOURLY_USD
        )
