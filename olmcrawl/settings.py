"""Scrapy settings for olmstats' spiders. Secrets and operator details come from the environment.

Polite by default: robots.txt obeyed, one request at a time per host, at least one second
between requests (AutoThrottle may slow down, never speed up), retries that back off and honour
Retry-After, and a User-Agent naming the project and the operator's contact URL. Only a crawl of
a loopback host (the replay server) may lift the delay; PolitenessGuard refuses anything else.
"""

from __future__ import annotations

import os

from olmstats import __version__
from olmstats.platforms import platforms

BOT_NAME = "olmstats"
# Every platform's spiders live in its own folder: olmstats/platforms/<name>/spiders.py.
SPIDER_MODULES = ["olmstats.platforms"]

# -- who we are -------------------------------------------------------------------------------
# The operator's contact page (a URL where the platform can reach whoever runs the crawl).
OLM_CONTACT_URL = os.environ.get("OLM_CONTACT_URL", "")
USER_AGENT = f"olmstats/{__version__} (research crawler; +{OLM_CONTACT_URL or 'unset'})"

# -- politeness --------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
# Each spider talks to one host, one request at a time: nothing waits inside the downloader
# that a block page or a Retry-After could no longer stop.
CONCURRENT_REQUESTS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# Seconds between requests to one host. Scrapy varies the delay by ±DOWNLOAD_DELAY_JITTER
# (default ±50%, which would allow 0.5 s gaps); 1.25 s ±20% keeps every gap in [1.0, 1.5] s.
DOWNLOAD_DELAY = 1.25
DOWNLOAD_DELAY_JITTER = 0.2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 0.5
COOKIES_ENABLED = False  # public pages only: never carry a session
RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
OLM_BACKOFF_BASE = 2.0  # seconds; doubles with every retry of one request
OLM_BACKOFF_MAX = 600.0
OLM_RETRY_AFTER_MAX = 3600.0  # a longer Retry-After stops the crawl instead of waiting
DOWNLOAD_TIMEOUT = 60

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "olmcrawl.middlewares.retry_after.RetryAfterMiddleware": 550,
    # Sees each response before retries do (process_response runs high to low).
    "olmcrawl.middlewares.block_detection.BlockDetectionMiddleware": 590,
    # Sees each response before RedirectMiddleware (600) follows it.
    "olmcrawl.middlewares.stay_on_host.StayOnHostMiddleware": 650,
}

EXTENSIONS = {
    "olmcrawl.extensions.politeness_guard.PolitenessGuard": 10,
    # only with REDIS_URL: heartbeats, staying open while other workers are busy
    "olmcrawl.distributed.extension.DistributedCrawlExtension": 20,
    "olmcrawl.extensions.run_record.RunRecordExtension": 500,
    "olmcrawl.extensions.progress.ProgressExtension": 510,
}

# -- pipelines: one stage per file, in this order --------------------------------------------
ITEM_PIPELINES = {
    "olmcrawl.pipelines.validate.ValidatePipeline": 100,
    "olmcrawl.pipelines.normalise_country.NormaliseCountryPipeline": 200,
    "olmcrawl.pipelines.money_to_usd.MoneyToUsdPipeline": 300,
    "olmcrawl.pipelines.classify_occupation.ClassifyOccupationPipeline": 400,
    "olmcrawl.pipelines.pseudonymise.PseudonymisePipeline": 500,
    "olmcrawl.pipelines.deduplicate.DeduplicatePipeline": 600,
    "olmcrawl.pipelines.parquet_store.ParquetStorePipeline": 900,
}

# -- store ---------------------------------------------------------------------------------------
OLM_STORE = os.environ.get("OLM_STORE", "store")
OLM_STORE_ROWS_PER_FILE = 50_000
OLM_PSEUDONYM_KEY = os.environ.get("OLM_PSEUDONYM_KEY", "")
# Credentials of platform APIs that need them (each descriptor's `credentials`): from the
# environment only, never written to a run record.
for _platform in platforms().values():
    for _name in _platform.credentials:
        globals()[_name] = os.environ.get(_name, "")
OLM_PROGRESS = False  # the `olm` CLI turns on a Rich progress display
# Where the data comes from, when the caller knows before the first response ("platform", or a
# simulated market's description); otherwise the first response tells (RunRecordExtension).
OLM_DATA_ORIGIN = ""
# The crawl plan a run belongs to (`olm plan run` sets it; run records and `olm runs` show it).
OLM_PLAN = ""
# A job directory makes the crawl resumable: killed, it is taken up again by the next crawl
# with the same spider and arguments (olmcrawl/base/journal.py). `olm plan run` gives each
# crawl of a plan its own, under <store>/plans/<plan>/jobs/.
OLM_JOB_DIR = ""

# -- optional: distributed crawls (olmcrawl/distributed/) -----------------------------------------
# With a Redis URL, every process crawling the same spider, arguments and base URL joins one
# shared crawl: one request queue, one duplicate filter, one account of the listings, and one
# request rate per host for all of them together (DOWNLOAD_DELAY between any two requests to a
# host, from any worker). Needs `pip install 'olmstats[distributed]'` (scrapy-redis).
REDIS_URL = os.environ.get("OLM_REDIS_URL", "")
# This worker's name in the shared crawl (default: host name and process id); part of its run id.
OLM_WORKER_ID = os.environ.get("OLM_WORKER_ID", "")
# Name the shared crawl explicitly (default: the spider and a digest of its arguments and base URL).
OLM_REDIS_CRAWL = ""
# A worker whose heartbeat is older than this is lost: nobody waits for it any more.
OLM_REDIS_WORKER_TIMEOUT = 30.0
# A crawl's keys expire this long after the last heartbeat of any of its workers.
OLM_REDIS_LEASE = 600.0

# -- optional: requests through Zyte API (off unless the operator sets a key) ---------------------
# For platforms that block plain HTTP clients. The key comes only from the environment;
# scrapy-zyte-api's add-on installs its download handlers. `olm crawl` refuses the key without
# the package (`pip install scrapy-zyte-api`).
ZYTE_API_KEY = os.environ.get("OLM_ZYTE_API_KEY", "")
if ZYTE_API_KEY:
    ADDONS = {"scrapy_zyte_api.Addon": 500}

# -- platforms -------------------------------------------------------------------------------
# Each platform's own settings (base URL <PLATFORM>_BASE_URL, page size ...) are its spiders'
# custom_settings, from its descriptor (olmstats/platforms/<name>/__init__.py). An environment
# variable of the same name as a base-URL setting (or one of its aliases) overrides it.
for _platform in platforms().values():
    for _name in (_platform.base_url_setting, *_platform.base_url_aliases):
        if os.environ.get(_name):
            globals()[_name] = os.environ[_name]

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
# Drops are counted in stats (olm/drop/<reason>) and listed in the run record; one log line
# per dropped item would drown the log of a large crawl.
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
