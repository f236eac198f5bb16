"""Upwork: archived job RSS feeds (withdrawn mid-2024), imported from files."""

from olmstats.platforms import Platform

PLATFORM = Platform(
    name="upwork",
    display_name="Upwork",
    homepage="https://www.upwork.com",
    method="archive",
    collects=("jobs", "employer country"),
    id_kind="text",
    money="budgets are US$ (the feeds show $ amounts only)",
    access=(
        "job RSS feeds were withdrawn in mid-2024: only archived feed files are read "
        "(olm import upwork-rss FILE…); the GraphQL API needs an approved key and its terms "
        "restrict research and scraping uses"
    ),
    parser_checked="2024-07-19: four archived job RSS feeds (Java, Java US, JavaFX, Swing)",
    base_url_setting="UPWORK_BASE_URL",
    settings={"UPWORK_BASE_URL": "https://www.upwork.com"},
    extras={"feed": "title of the feed the job was found in (text)"},
)
