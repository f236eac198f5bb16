"""Stage 2: countries to upper-case ISO 3166-1 alpha-2.

The API sends lower-case codes ("pk"; Namibia is "na", which must become "NA", never null) and
sometimes only a name. Profiles whose country resolves to nothing are dropped as
``unknown_country``; a job's employer country is optional (the owner may not be sent), so an
unresolvable one is set to null and counted as ``olm/country/employer_unresolved``.
"""

from __future__ import annotations

from olmcrawl.pipelines.stage import Stage, passes_markers
from olmstats import countries
from olmstats.items import OlmItem, ProfileItem


class NormaliseCountryPipeline(Stage):
    @passes_markers
    def process_item(self, item: OlmItem) -> OlmItem:
        if isinstance(item, ProfileItem):
            iso2 = countries.resolve(_text(item.country_code_raw), _text(item.country_name_raw))
            if iso2 is None:
                raise self.drop(
                    item, "unknown_country", f"{item.country_code_raw!r}/{item.country_name_raw!r}"
                )
            if not _text(item.country_code_raw):
                self.count("country/resolved_from_name")
            item.country = iso2
        else:
            code, name = (
                _text(item.employer_country_code_raw),
                _text(item.employer_country_name_raw),
            )
            item.employer_country = countries.resolve(code, name)
            if item.employer_country is None:
                self.count(
                    "country/employer_unresolved" if code or name else "country/employer_missing"
                )
        return item


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
