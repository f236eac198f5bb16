"""Never follow a redirect off the platform's host: fail that page, named, instead.

Scrapy follows redirects wherever they point, and a redirect it filters as offsite later simply
vanishes from the crawl. A redirect from the API to another host is a login wall, a block or a
moved service - not data - so this middleware (which sees responses before RedirectMiddleware)
turns it into a page failure with reason ``redirect_off_host`` and the count
``olm/redirect/off_host``. Redirects within the host are left to Scrapy.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from olmcrawl.base.listings import OffHostRedirect


class StayOnHostMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not 300 <= response.status < 400 or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        here, there = urlsplit(request.url), urlsplit(target)
        if (here.hostname, here.port) == (there.hostname, there.port):
            return response
        self.crawler.stats.inc_value("olm/redirect/off_host")
        raise OffHostRedirect(f"{request.url} redirects off the host to {target}")
