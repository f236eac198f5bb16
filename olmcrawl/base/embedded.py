"""Listing pages of HTML with the application's state embedded as JSON (alltheplaces' pattern).

Server-rendered single-page applications ship the data a page shows in a script, e.g.
``window.PPHReact.initialState = {...};``. A spider on this base names the assignment
(``state_marker``); :meth:`EmbeddedStateSpider.read_page` decodes the JSON that follows it
(``json.JSONDecoder.raw_decode``, so what comes after the object does not matter) and hands it
to :meth:`entries_from_state`. When a page carries no readable state the visible cards are read
instead (:meth:`entries_from_cards`; counted as ``olm/page/from_cards``), and a page with
neither fails its listing as ``malformed_page``.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy.http import Response

from olmcrawl.base.paged import MalformedPageError, PagedListingSpider


def embedded_state(text: str, marker: str) -> Any:
    """The JSON value assigned right after *marker* in *text*, or None."""
    start = text.find(marker)
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start + len(marker) :].lstrip())
    except json.JSONDecodeError:
        return None
    return value


class EmbeddedStateSpider(PagedListingSpider):
    """Paged HTML listings whose pages embed their state as JSON."""

    #: The text right before the JSON object, e.g. "window.PPHReact.initialState=".
    state_marker: str = ""

    def entries_from_state(self, state: Any) -> tuple[list[Any], int | None, Any]:
        """(entries, announced total, context) from the decoded state; MalformedPageError."""
        raise NotImplementedError

    def entries_from_cards(self, response: Response) -> tuple[list[Any], int | None, Any]:
        """The same from the page's visible cards (no state); MalformedPageError if none."""
        raise NotImplementedError

    def read_page(self, response: Response) -> tuple[list[Any], int | None, Any]:
        text = response.text if hasattr(response, "text") else ""
        state = embedded_state(text, self.state_marker)
        if state is not None:
            return self.entries_from_state(state)
        self.crawler.stats.inc_value("olm/page/from_cards")
        try:
            return self.entries_from_cards(response)
        except MalformedPageError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPageError("malformed_page", f"no state and no cards: {exc}") from None
