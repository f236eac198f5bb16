"""Stage 3: money to US dollars, keeping the amount, its currency and the rate used.

The chain of :mod:`olmstats.money`, the same for every platform: US$ as is (``identity``); the
rate the platform sends with the listing (its descriptor's ``fx_field``, recorded as
``platform:<field>``), if it lies within ×3 of the reference rate of the day (else the item is
dropped as ``implausible_fx_rate``); otherwise the ECB's daily reference rate of the day
(``ecb:<date>``) or the World Bank's annual average (``wdi:<year>``). An amount no source can
convert keeps its amount and currency with null US$ values and is counted under
``olm/fx/unconverted/<code>``: no row is lost for want of a rate.

Plausibility, in US$ (ranges in olmstats.schema): an asking rate outside ``hourly_rate_usd``'s
range, a budget or mean bid above its range (or above ``MAX_HOURLY_USD`` per hour for hourly
projects) is set to null with its US$ value and counted under ``olm/fix/<column>``.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from olmcrawl.pipelines.stage import Stage, passes_markers
from olmcrawl.pipelines.validate import as_float
from olmstats.items import JobItem, OlmItem
from olmstats.money import FX_IDENTITY, platform_source, usd_per_unit
from olmstats.platforms import platform
from olmstats.schema import MAX_HOURLY_USD

#: Largest ratio between the platform's rate and the reference rate (either way).
FX_TOLERANCE = 3.0


@cache
def reference_rate(currency: str, day: date) -> tuple[float, str] | None:
    """The reference chain's rate (ECB of the day, else WDI of the year), cached per day."""
    return usd_per_unit(currency, day)


class MoneyToUsdPipeline(Stage):
    @passes_markers
    def process_item(self, item: OlmItem) -> OlmItem:
        currency = getattr(item, item.currency_field)
        amounts = [getattr(item, source) for source, _ in item.money_fields]
        if all(a is None for a in amounts):
            item.fx_usd_per_unit, item.fx_source = None, None  # nothing to convert
            return item
        converted = self.rate(item, currency)
        if converted is None:
            self.count(f"fx/unconverted/{currency}")
            item.fx_usd_per_unit, item.fx_source = None, None
            for _, usd_field in item.money_fields:
                setattr(item, usd_field, None)
            return item
        rate, source = converted
        item.fx_usd_per_unit, item.fx_source = rate, source
        for (field, usd_field), amount in zip(item.money_fields, amounts, strict=True):
            usd = None if amount is None else amount * rate
            if usd is not None and not self.plausible(item, usd_field, usd):
                self.count(f"fix/{usd_field}")
                setattr(item, field, None)
                usd = None
            setattr(item, usd_field, usd)
        return item

    def rate(self, item: OlmItem, currency: str) -> tuple[float, str] | None:
        """(US$ per unit, fx_source) for *item*'s amounts: the chain of olmstats.money."""
        if currency == "USD":
            return 1.0, FX_IDENTITY
        when = item.posted_at if isinstance(item, JobItem) and item.posted_at else None
        day = (when or item.observed_at).date()
        reference = reference_rate(currency, day)
        field = platform(item.platform).fx_field
        sent = as_float(item.fx_usd_per_unit) if field else None
        if sent is None or sent <= 0:
            if field and item.fx_usd_per_unit is not None:
                self.count("fx/unusable_platform_rate")
            if reference is not None:
                self.count(f"fx/{reference[1].split(':')[0]}")
            return reference
        if reference is None:
            self.count(f"fx/unchecked/{currency}")
        elif not 1 / FX_TOLERANCE <= sent / reference[0] <= FX_TOLERANCE:
            raise self.drop(
                item,
                "implausible_fx_rate",
                f"{currency} at {sent} US$ against {reference[0]:.6g} ({reference[1]})",
            )
        return sent, platform_source(field)

    @staticmethod
    def plausible(item: OlmItem, usd_field: str, usd: float) -> bool:
        if not item.dataset.column(usd_field).within(usd):
            return False
        return not (
            isinstance(item, JobItem) and item.job_type == "hourly" and usd > MAX_HOURLY_USD
        )
