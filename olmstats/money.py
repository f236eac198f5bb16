"""Currency conversion labels recorded with every converted amount (column ``fx_source``).

``identity`` (already US$), ``platform:<field>`` (the rate the platform sends, its field named
by the platform's descriptor, e.g. ``platform:currency.exchange_rate``).
"""

FX_IDENTITY = "identity"


def platform_source(field: str) -> str:
    """The label of a rate the platform sent in *field*."""
    return f"platform:{field}"


FX_SOURCES = {
    FX_IDENTITY: "the amount is already in US$ (rate 1)",
    "platform:<field>": "US$ per unit sent by the platform with the listing, in <field>",
}
