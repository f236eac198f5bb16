"""Distributed crawls: several Scrapy processes, on one or more machines, share one crawl.

With a Redis URL (``olm crawl --redis URL``, ``OLM_REDIS_URL``, or the ``REDIS_URL`` setting)
every worker that runs the same spider with the same arguments against the same base URL joins
one *shared crawl* held in Redis (:mod:`olmcrawl.distributed.shared`):

- **one request queue and one duplicate filter** (:mod:`~olmcrawl.distributed.scheduler`, on
  scrapy-redis's scheduler and fingerprints): every listing page is fetched once, by whichever
  worker takes it. Each worker plans every listing and yields the same first pages; the shared
  filter lets the first of each through. Requests the listings depend on (a platform's skill
  or country list: ``dont_filter`` requests, retries too) stay in the worker that made them,
  because their callbacks fill that worker's lookups.
- **one request rate per host for all workers together**
  (:mod:`~olmcrawl.distributed.download`): before any request leaves a worker, the worker takes
  the host's turn from Redis (a Lua script on Redis's own clock), so consecutive requests to a
  host, from all workers, are at least ``DOWNLOAD_DELAY × (1 − DOWNLOAD_DELAY_JITTER)`` apart.
  A Retry-After pauses the host for every worker; a block page stops every worker.
- **one account of the listings** (:mod:`~olmcrawl.distributed.listings`): pages requested,
  read and failed, and the pages in flight with the worker that holds them, are counted in
  Redis, so that each worker's run record tells the outcome of the whole crawl's listings.
- **one duplicate check for rows**: an entity is stored once per shared crawl, by the worker
  that saw it first.

Each worker is its own run (run id ``<crawl start>-<spider>-<crawl id>-<worker>``, its own
record and part files, the crawl's snapshot date). A worker stays open while any other worker
is busy, and the last one to close (``distributed.final`` in its record) has the final
account, including workers that stopped answering.
"""
