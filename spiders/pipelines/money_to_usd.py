"""Stage 3: money to US dollars, keeping the amount, its currency and the rate used.

Jobs carry the platform's own rate with each listing (``currency.exchange_rate``, US$ per unit);
it is used as sent and recorded as ``fx_source = "platform:currency.exchange_rate"``. Amounts
already in US$ use rate 1 (``"identity"``). A non-US$ amount without a usable rate is dropped as
``missing_fx_rate``: a guessed conversion would be a silent error.
"""

from __future__ import annotations

from olmstats.money import FX_IDENTITY, FX_PLATFORM
from spiders.items import OlmItem
from spiders.pipelines.stage import Stage
from spiders.pipelines.validate import as_float


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
            rate, source = as_float(item.fx_usd_per_unit), FX_PLATFORM
            if rate is None or rate <= 0:
                raise self.drop(item, "missing_fx_rate", f"{currency}: {item.fx_usd_per_unit!r}")
        item.fx_usd_per_unit, item.fx_source = rate, source
        for (_, usd_field), amount in zip(item.money_fields, amounts, strict=True):
            setattr(item, usd_field, None if amount is None else amount * rate)
        return item
