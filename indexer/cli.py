"""The ``dossier`` command: index, delete, stats, search, orgs suggest, serve.

A thin layer over the library: it parses arguments, calls one library
function, and turns Dossier's errors into one-line messages and exit codes
(0 ok, 1 some input failed, 2 usage or fatal error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from importlib.metadata import entry_points
from pathlib import Path

from indexer.index.writing import build_index, delete_documents
from indexer.ingest.documents import DocumentBuilder, load_documents
from indexer.ingest.gazetteer_suggestions import suggest_organizations
from indexer.ingest.organizations import Gazetteer
from indexer.model import Document, DossierError, SearchRequest
from indexer.search.service import SearchService, parse_date

COMMANDS_GROUP = "dossier.commands"
DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path(os.environ.get("DOSSIER_INDEX_DIR", "var/index"))


def _progress(stream=sys.stderr):
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def cmd_index(args: argparse.Namespace) -> int:
    paths = args.paths or [DEFAULT_CORPUS]
    try:
        report = build_index(
            paths, args.index, gazetteer=args.gazetteer, rebuild=args.rebuild,
            prune=not args.keep_missing, wait=args.wait, progress=_progress(),
            follow_links=args.follow_links,
        )  # fmt: skip
    except OSError as exc:
        raise DossierError(
            f"cannot write the index at {args.index}: {exc.strerror or exc}; "
            "the last committed index is unchanged"
        ) from exc
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(report.summary() + (" [rebuilt]" if report.rebuilt else ""))
    return 0 if report.ok else 1


def cmd_delete(args: argparse.Namespace) -> int:
    deleted, missing = delete_documents(args.ids, args.index, wait=args.wait)
    for doc_id in missing:
        print(f"{doc_id}: no such document", file=sys.stderr)
    print(f"{deleted} deleted")
    return 1 if missing else 0


def cmd_stats(args: argparse.Namespace) -> int:
    with SearchService(args.index, gazetteer=args.gazetteer) as service:
        stats = service.stats()
    if args.json:
        print(json.dumps(asdict(stats), ensure_ascii=False, indent=2))
        return 0
    print(f"index        {stats.path} ({stats.generation})")
    print(f"documents    {stats.documents}")
    print(f"size on disk {stats.size_bytes / 1e6:.1f} MB")
    print(
        f"dates        {stats.date_min or '-'} … {stats.date_max or '-'}; {stats.undated} undated"
    )
    _table("languages", stats.languages)
    _table("years", stats.years)
    _table("sources", stats.sources)
    gaz = Gazetteer.load(args.gazetteer)
    _table("organizations", {f"{gaz.label(k)} [{k}]": v for k, v in stats.organizations.items()})
    return 0


def _table(title: str, counts: dict[str, int]) -> None:
    print(f"{title}:")
    for key, value in counts.items():
        print(f"  {value:>7}  {key}")


def cmd_search(args: argparse.Namespace) -> int:
    request = SearchRequest(
        query=args.query,
        organizations=tuple(args.org or ()),
        languages=tuple(args.lang or ()),
        years=tuple(args.year or ()),
        sources=tuple(args.source or ()),
        date_from=parse_date(args.date_from, "--from") if args.date_from else None,
        date_to=parse_date(args.date_to, "--to") if args.date_to else None,
        sort=args.sort,
        page=args.page,
        per_page=args.per_page,
    )
    with SearchService(args.index, gazetteer=args.gazetteer) as service:
        gaz = service.gazetteer
        request = _resolve_orgs(request, gaz)
        result = service.search(request)
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
        return 0
    note = " (no article has every word; showing partial matches)" if result.relaxed else ""
    print(f"{result.total} results in {result.took_ms:.1f} ms{note}")
    if result.suggestion:
        print(f"did you mean: {result.suggestion}")
    for hit in result.hits:
        orgs = ", ".join(o.name for o in hit.organizations)
        print(f"\n{hit.rank:>3}. {hit.title}  [{hit.id}]")
        print(f"     {hit.date or 'undated'} · {hit.lang} · {hit.source or '-'} · {orgs or '-'}")
        print(f"     {_terminal_marks(hit.snippet)}")
    print()
    for facet in result.facets.values():
        shown = ", ".join(
            f"{'*' if v.selected else ''}{v.label} ({v.count})" for v in facet.values[:10]
        )
        print(f"{facet.label}: {shown or '-'}")
    return 0


def _resolve_orgs(request: SearchRequest, gaz: Gazetteer) -> SearchRequest:
    from dataclasses import replace

    resolved = tuple(gaz.resolve(o) or o for o in request.organizations)
    return replace(request, organizations=resolved)


def _terminal_marks(snippet: str) -> str:
    import html

    bold = sys.stdout.isatty()
    text = snippet.replace("<mark>", "\033[1m" if bold else "[").replace(
        "</mark>", "\033[0m" if bold else "]"
    )
    return html.unescape(text)


def cmd_orgs_suggest(args: argparse.Namespace) -> int:
    gaz = Gazetteer.load(args.gazetteer)
    builder = DocumentBuilder(gaz)
    docs = (d for d in load_documents(args.paths or [DEFAULT_CORPUS], builder)
            if isinstance(d, Document))  # fmt: skip
    suggestions = suggest_organizations(docs, gaz, limit=args.limit)
    if not suggestions:
        print("no organization-like names missing from the gazetteer")
    for suggestion in suggestions:
        print(f"{suggestion.documents:>6}  {suggestion.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dossier", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help=f"index directory (default {DEFAULT_INDEX})")  # fmt: skip
    common.add_argument(
        "--gazetteer", type=Path, default=None,
        help="organization gazetteer (default corpus/organizations.toml)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", parents=[common], help="index .txt/.jsonl(.gz) files (incremental)")
    p.add_argument(
        "paths", nargs="*", type=Path, help=f"files or directories (default {DEFAULT_CORPUS})"
    )
    p.add_argument("--rebuild", action="store_true",
                   help="build a fresh index and swap it in atomically")  # fmt: skip
    p.add_argument("--keep-missing", action="store_true",
                   help="keep documents whose files are gone (default: delete them)")  # fmt: skip
    p.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for another writer (default: stop at once)")  # fmt: skip
    p.add_argument("--follow-links", action="store_true",
                   help="read symbolic links that lead out of the directories given")  # fmt: skip
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("delete", parents=[common], help="delete documents by id")
    p.add_argument("ids", nargs="+")
    p.add_argument("--wait", type=float, default=0.0)
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("stats", parents=[common], help="documents per language, year, organization")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("search", parents=[common], help="search from the command line")
    p.add_argument("query")
    p.add_argument("--org", action="append", help="organization id or name (repeatable)")
    p.add_argument("--lang", action="append", help="language code (repeatable)")
    p.add_argument("--year", action="append", help="year or 'undated' (repeatable)")
    p.add_argument("--source", action="append", help="source (repeatable)")
    p.add_argument("--from", dest="date_from", help="earliest date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="latest date, YYYY-MM-DD")
    p.add_argument("--sort", choices=("relevance", "date"), default="relevance")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--per-page", type=int, default=10)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("orgs", parents=[common], help="gazetteer tools")
    orgs = p.add_subparsers(dest="orgs_command", required=True)
    s = orgs.add_parser("suggest", parents=[common], help="names in the corpus the gazetteer lacks")
    s.add_argument("paths", nargs="*", type=Path)
    s.add_argument("--limit", type=int, default=50)
    s.set_defaults(func=cmd_orgs_suggest)

    # Subcommands of other packages (the web app's `serve`) register through an
    # entry point, so this engine package never imports them.
    for entry in entry_points(group=COMMANDS_GROUP):
        entry.load()(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DossierError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return getattr(exc, "exit_status", 2)  # 128 + signal for a stopped build
    except OSError as exc:  # a full disk, a read-only index directory…
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"dossier: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `dossier search … | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
