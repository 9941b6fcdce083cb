"""Links that change one thing about a search and keep the rest.

The URL holds the whole state of a search (query, every selected facet value,
date range, sort, page), so facets, sorting and paging work as plain links
without JavaScript, and any result page can be bookmarked or shared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import url_for
from werkzeug.datastructures import MultiDict

from indexer.model import DEFAULT_COLLAPSE, DEFAULT_SORT, FACETS, FACETS_BY_NAME, SearchRequest

from .params import request_args
from .wire import MAX_REQUEST_LINE

# The longest request line a page lets the browser make: the server's limit less room
# for what a link adds (a facet value, a page number). Longer, the page posts instead.
ADDRESS_LIMIT = MAX_REQUEST_LINE - 512


class SearchLinks:
    """URL builder for one search request, used by the templates.

    ``posted`` is true when the search's own address would be too long (a pasted
    article): its links then leave the query out, and the templates make them
    buttons of one form (``posted-search``) that holds the query and posts it to
    the link's address, so the page works without JavaScript and holds the long
    text once instead of in every link.
    """

    def __init__(self, request: SearchRequest, default_per_page: int) -> None:
        self.request = request
        self.default_per_page = default_per_page
        own = self._url(self._args())
        self.posted = len(f"GET {own} HTTP/1.1") > ADDRESS_LIMIT

    def _args(self) -> MultiDict[str, str]:
        return request_args(self.request, self.default_per_page)

    def _link(self, args: MultiDict[str, str]) -> str:
        """The search page with ``args``; without this search's query when it is posted."""
        if self.posted and args.get("q") == self.request.query:
            args.poplist("q")
        return self._url(args)

    @staticmethod
    def _url(args: MultiDict[str, str], endpoint: str = "pages.search", **values: Any) -> str:
        base = url_for(endpoint, **values)
        query = urlencode(list(args.items(multi=True)))
        return f"{base}?{query}" if query else base

    def toggle(self, facet: str, value: str) -> str:
        """Select ``value`` of ``facet`` if it is not selected, else deselect it."""
        param = FACETS_BY_NAME[facet].param
        args = self._args()
        args.poplist("page")
        current = args.poplist(param)
        if value in current:
            current.remove(value)
        else:
            current.append(value)
        args.setlist(param, current)
        for inner in FACETS:
            if inner.within == facet:
                args.poplist(inner.param)  # months only make sense inside the years chosen
        return self._link(args)

    def sort(self, sort: str) -> str:
        args = self._args()
        args.poplist("page")
        args.poplist("sort")
        if sort != DEFAULT_SORT:
            args["sort"] = sort
        return self._link(args)

    def versions(self, story: str) -> str:
        """The same search showing every version of one story ("N more versions")."""
        args = self._args()
        args.poplist("page")
        args["story"] = story
        args["collapse"] = "none"
        return self._link(args)

    def collapse(self, mode: str) -> str:
        """The same search with stories collapsed (the default) or every version shown."""
        args = self._args()
        args.poplist("page")
        args.poplist("collapse")
        if mode != DEFAULT_COLLAPSE:
            args["collapse"] = mode
        return self._link(args)

    def without_story(self) -> str:
        args = self._args()
        for param in ("page", "story", "collapse"):
            args.poplist(param)
        return self._link(args)

    def page(self, number: int) -> str:
        args = self._args()
        args.poplist("page")
        if number != 1:
            args["page"] = str(number)
        return self._link(args)

    def query(self, query: str) -> str:
        """The same filters with another query (the "did you mean" link)."""
        args = self._args()
        args.poplist("page")
        args["q"] = query
        return self._link(args)

    def without_dates(self) -> str:
        args = self._args()
        for param in ("page", "from", "to"):
            args.poplist(param)
        return self._link(args)

    def without_filters(self) -> str:
        """Keep only the query, the sort order and whether stories are collapsed."""
        args: MultiDict[str, str] = MultiDict()
        if self.request.query:
            args["q"] = self.request.query
        if self.request.sort != DEFAULT_SORT:
            args["sort"] = self.request.sort
        if self.request.collapse != DEFAULT_COLLAPSE:
            args["collapse"] = self.request.collapse
        return self._link(args)

    def document(self, doc_id: str) -> str:
        """The document page, carrying the search along for marks and the way back.
        A posted search cannot be carried (its query is too long for an address), and
        its filters alone would make a "Back to results" link to other results: the
        page then gets nothing, and the browser's Back returns to the results."""
        base = document_url(doc_id)
        if self.posted:
            return base
        query = urlencode(list(self._args().items(multi=True)))
        return f"{base}?{query}" if query else base

    def hidden_fields(self, *leave_out: str) -> list[tuple[str, str]]:
        """Name/value pairs for a form's hidden inputs, so a form keeps the rest."""
        args = self._args()
        for param in ("page", *leave_out):
            args.poplist(param)
        return list(args.items(multi=True))

    def link_fields(self, *leave_out: str) -> list[tuple[str, str]]:
        """``hidden_fields`` for a link's address: without a posted search's query."""
        return self.hidden_fields(*leave_out, *(("q",) if self.posted else ()))


def document_url(doc_id: str) -> str:
    """The document page of ``doc_id``, the id percent-encoded as one path segment.

    ``url_for`` keeps the slashes of a ``<path:>`` value, so ``../../etc/passwd``
    became ``/documents/../../etc/passwd``, which a browser resolves to
    ``/etc/passwd``; encoded (``..%2F..%2Fetc%2Fpasswd``) it is one segment, and
    the server decodes it back to the id before routing.
    """
    prefix = url_for("pages.document", doc_id="_")[:-1]
    return prefix + quote(doc_id, safe="")


def search_url(args: MultiDict[str, str]) -> str:
    """A search page URL from raw parameters (the document page's way back)."""
    return SearchLinks._url(args)


def page_numbers(current: int, last: int, *, around: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and a window around the current one;
    ``None`` marks a gap ("…")."""
    if last < 1:
        return []
    wanted = {1, last, *range(current - around, current + around + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= last)
    shown: list[int | None] = []
    for number in numbers:
        previous = shown[-1] if shown else None
        if previous is not None and number - previous == 2:
            shown.append(previous + 1)  # a gap of one page: show the page, not "…"
        elif previous is not None and number - previous > 2:
            shown.append(None)
        shown.append(number)
    return shown
