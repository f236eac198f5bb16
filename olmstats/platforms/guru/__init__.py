"""Guru: HTML job listings and freelancer directory pages, behind Imperva/Incapsula."""

from olmstats.platforms import Platform

PLATFORM = Platform(
    name="guru",
    display_name="Guru",
    homepage="https://www.guru.com",
    method="HTML",
    collects=(
        "profiles",
        "jobs",
        "rates",
        "bids or quotes",
        "employer country",
        "worker country",
    ),
    id_kind="text",  # job ids are numbers, freelancer ids the slugs of their profile pages
    money="amounts are US$ as printed ($10 - $25 an hour, $1k-$2.5k, Under $250)",
    access=(
        "Imperva/Incapsula answers plain HTTP clients with 403 pages on every path, robots.txt "
        "included: the crawl stops at the first one (blocked_incapsula); an operator may route "
        "requests through Zyte API (OLM_ZYTE_API_KEY, pip install scrapy-zyte-api; off by "
        "default)"
    ),
    parser_checked=(
        "2026-09-19: /d/jobs/ listing; freelancer directory: built from the documented "
        "structure (no recorded page exists)"
    ),
    base_url_setting="GURU_BASE_URL",
    settings={"GURU_BASE_URL": "https://www.guru.com", "GURU_PAGE_SIZE": 20},
    replay="olmstats.platforms.guru.replay:GuruReplay",
    blocked_hint=(
        "Guru blocks plain HTTP clients (Imperva/Incapsula) on every page: nothing more will be "
        "sent. To crawl Guru, set OLM_ZYTE_API_KEY to a Zyte API key and install "
        "scrapy-zyte-api (requests then go through Zyte's browser service), or crawl another "
        "platform"
    ),
    extras={
        "pricing": "the kind of budget as printed (text): Fixed Price, Hourly or both",
        "employer_spend_usd": "what the employer has spent on Guru, US$ (number)",
        "bid_from": "the freelancer location the employer prefers (text)",
        "earnings_usd": "a freelancer's earnings on Guru as listed, US$ (number)",
    },
)
