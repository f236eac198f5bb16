"""Currency conversion labels recorded with every converted amount (column ``fx_source``)."""

FX_IDENTITY = "identity"
FX_PLATFORM = "platform:currency.exchange_rate"

FX_SOURCES = {
    FX_IDENTITY: "the amount is already in US$ (rate 1)",
    FX_PLATFORM: "US$ per unit sent by the platform with the listing (currency.exchange_rate)",
}
