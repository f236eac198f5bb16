"""Freelancer.com: its public REST API (no key needed for the directory and project search)."""

from olmstats.platforms import Platform

PLATFORM = Platform(
    name="freelancer",
    display_name="Freelancer.com",
    homepage="https://www.freelancer.com",
    method="API",
    collects=(
        "profiles",
        "jobs",
        "rates",
        "bids or quotes",
        "employer country",
        "worker country",
        "tenure",
        "reviews",
    ),
    id_kind="integer",
    money=(
        "profile rates are US$; job amounts use the rate the API sends with each listing "
        "(currency.exchange_rate, US$ per unit)"
    ),
    access=(
        "anonymous read-only API; robots.txt obeyed; no published rate limit (429 and "
        "Retry-After honoured); API terms incorporate the user agreement"
    ),
    parser_checked="2026-09-27: users/directory (WordPress); 2022-03-20: projects/active (Python)",
    base_url_setting="FREELANCER_BASE_URL",
    base_url_aliases=("FREELANCER_API_URL",),
    settings={
        "FREELANCER_BASE_URL": "https://www.freelancer.com/api",
        "FREELANCER_PAGE_SIZE": 100,  # the API's largest `limit`
    },
    fx_field="currency.exchange_rate",
    replay="olmstats.platforms.freelancer.replay:FreelancerReplay",
)
