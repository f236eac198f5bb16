"""Upwork: archived job RSS feeds (withdrawn mid-2024), imported from files."""

from olmstats.platforms import Platform

PLATFORM = Platform(
    name="upwork",
    display_name="Upwork",
    homepage="https://www.upwork.com",
    method="archive",  # and the GraphQL API, for holders of an approved key
    collects=("jobs", "bids or quotes", "employer country"),
    id_kind="text",
    money="budgets are US$ (the feeds show $ amounts only; the API says its currency)",
    access=(
        "job RSS feeds were withdrawn in mid-2024: archived feed files are imported (olm import "
        "upwork-rss FILE…); the GraphQL API (upwork_jobs) needs an approved key "
        "(UPWORK_ACCESS_TOKEN), allows 10 requests/s per IP (olmstats sends at most 1/s) and "
        "its terms restrict research, scraping and caching beyond 24 h: read them first"
    ),
    parser_checked="2024-07-19: four archived job RSS feeds (Java, Java US, JavaFX, Swing)",
    base_url_setting="UPWORK_BASE_URL",
    settings={"UPWORK_BASE_URL": "https://api.upwork.com", "UPWORK_PAGE_SIZE": 50},
    replay="olmstats.platforms.upwork.replay:UpworkReplay",
    credentials=("UPWORK_ACCESS_TOKEN", "UPWORK_TENANT_ID"),
    extras={
        "feed": "title of the feed the job was found in (text)",
        "employer_spend_usd": "what the client has spent on Upwork, US$ (number; API only)",
    },
)
