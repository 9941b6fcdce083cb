"""The whole result set of a search as CSV or JSON Lines, streamed.

Not a page: every hit up to ``EXPORT_MAX_ROWS``, in the search's order, with
the columns a spreadsheet user needs; one row per story, as the result list
shows them (``versions`` says how many articles it stands for), unless
``collapse=none`` asks for every article. Rows are written as they are read from
the index, so the first bytes leave at once and memory stays flat. The total
number of matches is in ``X-Total-Count``; when it exceeds the cap, the
export holds the first ``X-Export-Rows`` of them.

CSV cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) get a leading ``'``, as
OWASP recommends against CSV injection.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace

from flask import Blueprint, Response, current_app, request

from indexer.model import Hit, ParameterError

from .params import has_filters, parse_search_request
from .service import get_service

bp = Blueprint("exports", __name__)

COLUMNS: tuple[str, ...] = ("id", "date", "date_source", "title", "source", "language",
                            "organizations", "url", "story", "versions", "score")  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The cell as text a spreadsheet shows, never evaluates."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_row(hit: Hit) -> list[str]:
    cells = [
        hit.id,
        hit.date or "",
        hit.date_source or "",
        hit.title,
        hit.source or "",
        hit.lang or "",
        "; ".join(org.name for org in hit.organizations),
        hit.url or "",
        hit.story or hit.id,
    ]
    return [spreadsheet_safe(cell) for cell in cells] + [str(hit.versions), f"{hit.score:.4f}"]


def json_row(hit: Hit) -> dict[str, object]:
    return {
        "id": hit.id,
        "date": hit.date,
        "date_source": hit.date_source,
        "title": hit.title,
        "source": hit.source,
        "language": hit.lang,
        "organizations": [{"id": org.id, "name": org.name} for org in hit.organizations],
        "url": hit.url,
        "story": hit.story or hit.id,
        "versions": hit.versions,
        "score": round(float(hit.score), 4),
    }


def _csv_lines(hits: Iterable[Hit]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for hit in hits:
        writer.writerow(csv_row(hit))
        if buffer.tell() > 16_384:  # send in chunks of about 16 kB, not a row at a time
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _jsonl_lines(hits: Iterable[Hit]) -> Iterator[str]:
    chunk: list[str] = []
    for hit in hits:
        chunk.append(json.dumps(json_row(hit), ensure_ascii=False) + "\n")
        if len(chunk) >= 100:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)


def _export(kind: str) -> Response:
    parsed = parse_search_request(request.args, current_app.config)
    if not parsed.query and not has_filters(parsed):
        raise ParameterError("Give a query in q, or at least one filter, to export.", parameter="q")
    limit = current_app.config["EXPORT_MAX_ROWS"]
    rows = get_service().export(replace(parsed, page=1, snippets=False), limit)
    lines = _csv_lines(rows) if kind == "csv" else _jsonl_lines(rows)
    mimetype = "text/csv" if kind == "csv" else "application/x-ndjson"
    response = Response(lines, mimetype=mimetype)
    response.call_on_close(rows.close)
    response.headers["Content-Disposition"] = f'attachment; filename="dossier-export.{kind}"'
    response.headers["X-Total-Count"] = str(rows.total)
    response.headers["X-Export-Rows"] = str(len(rows))
    return response


@bp.get("/api/export.csv")
def export_csv() -> Response:
    return _export("csv")


@bp.get("/api/export.jsonl")
def export_jsonl() -> Response:
    return _export("jsonl")
