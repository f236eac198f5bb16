"""PeoplePerHour: HTML listing pages with the application's state embedded as JSON."""

from olmstats.platforms import Platform

PLATFORM = Platform(
    name="peopleperhour",
    display_name="PeoplePerHour",
    homepage="https://www.peopleperhour.com",
    method="HTML",
    collects=(
        "profiles",
        "jobs",
        "rates",
        "bids or quotes",
        "employer country",
        "worker country",
        "reviews",
    ),
    id_kind="text",  # job ids are numbers, freelancer ids the slugs of their profile pages
    money=(
        "jobs and rates are priced in the client's or freelancer's currency (mostly GBP) with no "
        "exchange rate: the ECB rate of the day, else the World Bank annual average"
    ),
    access=(
        "robots.txt allows only clean category paths plus ?page=N (Disallow: /*?, Allow: "
        "/*?page=): olmstats crawls exactly those and takes countries from the rows"
    ),
    parser_checked=(
        "2025-11-15: freelance-LOGO-jobs listing (embedded state and cards); freelancer "
        "directory: built from the documented structure (no recorded page exists)"
    ),
    base_url_setting="PEOPLEPERHOUR_BASE_URL",
    settings={
        "PEOPLEPERHOUR_BASE_URL": "https://www.peopleperhour.com",
        "PEOPLEPERHOUR_PAGE_SIZE": 20,  # jobs per listing page (the site's, not a parameter)
    },
    replay="olmstats.platforms.peopleperhour.replay:PeoplePerHourReplay",
    extras={
        "where_can_bid": "where freelancers may bid from: ALL or an ISO country code (text)",
        "location_type": "remote or onsite (text)",
    },
)
