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
from dataclasses import asdict, replace
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any

from indexer.cluster.backend import delete_articles, index_articles, open_service
from indexer.ingest.documents import DocumentBuilder, load_documents
from indexer.ingest.gazetteer_suggestions import suggest_organizations
from indexer.ingest.organizations import Gazetteer
from indexer.model import (
    COLLAPSE_MODES,
    DEFAULT_COLLAPSE,
    DEFAULT_PER_PAGE,
    DEFAULT_SORT,
    FACETS,
    SORTS,
    Document,
    DossierError,
    ParameterError,
    SearchLimits,
    SearchRequest,
)
from indexer.search.serialize import search_result_json
from indexer.search.service import parse_date

COMMANDS_GROUP = "dossier.commands"
DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path(os.environ.get("DOSSIER_INDEX_DIR", "var/index"))


# tqdm's default layout with the unit on the amounts too: "1.2MB/4.9MB", not "1.2M/4.9M".
BAR_FORMAT = (
    "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B "
    "[{elapsed}<{remaining}, {rate_fmt}{postfix}]"
)


class ProgressBar:
    """A progress bar of the bytes indexed, with documents, rate and time left (tqdm).

    Driven by bytes read of the inputs, not files: one big JSON Lines file moves
    it too. Drawn on stderr, and only when stderr is a terminal.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.bar: Any = None

    def __call__(self, documents: int, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            columns, rows = _terminal_size(self.stream)
            self.bar = tqdm(
                total=total, unit="B", unit_scale=True, desc="indexing", file=self.stream,
                ncols=columns, nrows=rows, bar_format=BAR_FORMAT,
            )  # fmt: skip
        self.bar.set_postfix_str(f"{documents:,} documents", refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _terminal_size(stream: Any) -> tuple[int, int]:
    """Columns and rows; 80×24 where the terminal reports none (a fresh pty says 0×0,
    and tqdm draws nothing in a terminal of 0 rows)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24


def _progress_bar(quiet: bool, stream: Any = None) -> ProgressBar | None:
    stream = stream or sys.stderr
    return None if quiet or not stream.isatty() else ProgressBar(stream)


def _existing_paths(paths: list[Path]) -> list[Path]:
    """The input paths, refused in one line if any is missing (before anything is written)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise DossierError(f"{', '.join(missing)}: no such file or directory; nothing was done")
    return paths


def cmd_index(args: argparse.Namespace) -> int:
    paths = _existing_paths(args.paths or [DEFAULT_CORPUS])
    bar = _progress_bar(args.quiet)
    try:
        report = index_articles(
            paths, args.index, gazetteer=args.gazetteer, rebuild=args.rebuild,
            prune=not args.keep_missing, wait=args.wait, progress=bar,
            follow_links=args.follow_links,
        )  # fmt: skip
    except OSError as exc:
        raise DossierError(
            f"cannot write the index at {args.index}: {exc.strerror or exc}; "
            "the last committed index is unchanged"
        ) from exc
    finally:
        if bar is not None:
            bar.close()
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not args.quiet:
        print(report.summary() + (" [rebuilt]" if report.rebuilt else ""))
    return 0 if report.ok else 1


def cmd_delete(args: argparse.Namespace) -> int:
    deleted, missing = delete_articles(args.ids, args.index, wait=args.wait)
    for doc_id in missing:
        print(f"{doc_id}: no such document", file=sys.stderr)
    print(f"{deleted} deleted")
    return 1 if missing else 0


def cmd_stats(args: argparse.Namespace) -> int:
    with open_service(args.index, gazetteer=args.gazetteer) as service:
        stats = service.stats()
    if args.json:
        print(json.dumps(asdict(stats), ensure_ascii=False, indent=2))
        return 0
    print(f"index        {stats.path} ({stats.generation})")
    if stats.notice:
        print(f"notice       {stats.notice}")
    print(f"documents    {stats.documents}")
    print(f"size on disk {stats.size_bytes / 1e6:.1f} MB")
    print(
        f"dates        {stats.date_min or '-'} … {stats.date_max or '-'}; {stats.undated} undated"
    )
    print(f"languages    {stats.undetermined_language} undetermined (too short or mixed to tell)")
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


# The API's checks, in the command line's words: a message names the flag.
LIMITS = SearchLimits()


def _search_request(args: argparse.Namespace, limits: SearchLimits = LIMITS) -> SearchRequest:
    """A SearchRequest from the flags, refused as the API refuses the same values."""
    selections: dict[str, Any] = {}  # SearchRequest field -> values
    for facet in FACETS:
        values = tuple(getattr(args, facet.param) or ())
        for value in values:
            if not facet.accepts(facet.normalize(value)):
                raise ParameterError(
                    f"--{facet.param} {value!r} is not {facet.expected}", parameter=facet.param
                )
        selections[facet.request_field] = tuple(dict.fromkeys(map(facet.normalize, values)))
    date_from = parse_date(args.date_from, "--from") if args.date_from else None
    date_to = parse_date(args.date_to, "--to") if args.date_to else None
    if date_from and date_to and date_from > date_to:
        raise ParameterError(f"--from {date_from} is after --to {date_to}", parameter="from")
    for flag, value, high in (
        ("--page", args.page, limits.max_page),
        ("--per-page", args.per_page, limits.max_per_page),
    ):
        if not 1 <= value <= high:
            raise ParameterError(f"{flag} {value} is out of range; use 1 to {high}")
    request = SearchRequest(
        query=args.query.strip(),
        **selections,
        date_from=date_from,
        date_to=date_to,
        sort=args.sort,
        page=args.page,
        per_page=args.per_page,
        collapse=args.collapse,
    )
    if not request.query and not request.has_filters():
        flags = ", ".join(f"--{facet.param}" for facet in FACETS)
        raise ParameterError(
            f"give a query, or at least one filter ({flags}, --from, --to) to browse"
        )
    return request


def cmd_search(args: argparse.Namespace) -> int:
    request = _search_request(args)
    with open_service(args.index, gazetteer=args.gazetteer, limits=LIMITS) as service:
        gaz = service.gazetteer
        request = _resolve_orgs(request, gaz)
        result = service.search(request)
    if args.json:  # the document GET /api/search answers
        print(json.dumps(search_result_json(result), ensure_ascii=False, indent=2))
        return 0
    note = " (no article has every word; showing partial matches)" if result.relaxed else ""
    noun = "result" if result.total == 1 else "results"
    print(f"{result.total} {noun} in {result.took_ms:.1f} ms{note}")
    if result.query_words_used:
        print("searched for the most telling words: " + ", ".join(result.query_words_used))
    if result.suggestion:
        print(f"did you mean: {result.suggestion}")
    for hit in result.hits:
        orgs = ", ".join(o.name for o in hit.organizations)
        print(f"\n{hit.rank:>3}. {hit.title}  [{hit.id}]")
        print(f"     {hit.date or 'undated'} · {hit.lang} · {hit.source or '-'} · {orgs or '-'}")
        if hit.versions > 1 and request.collapse == "story":
            print(f"     {hit.versions - 1} more version(s): --collapse none to list them")
        print(f"     {_terminal_marks(hit.snippet)}")
    print()
    for facet in result.facets.values():
        shown = ", ".join(
            f"{'*' if v.selected else ''}{v.label} ({v.count})" for v in facet.values[:10]
        )
        print(f"{facet.label}: {shown or '-'}")
    return 0


def _resolve_orgs(request: SearchRequest, gaz: Gazetteer) -> SearchRequest:
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
    paths = _existing_paths(args.paths or [DEFAULT_CORPUS])
    docs = (d for d in load_documents(paths, builder) if isinstance(d, Document))
    suggestions = suggest_organizations(docs, gaz, limit=args.limit)
    if not suggestions:
        print("no organization-like names missing from the gazetteer")
    for suggestion in suggestions:
        print(f"{suggestion.documents:>6}  {suggestion.name}")
    return 0


def _version() -> str:
    try:
        return version("dossier")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(version unknown: not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dossier", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    # Each command takes only the options it uses: --index and --gazetteer are
    # shared through these parents, never added where they would be ignored.
    index_option = argparse.ArgumentParser(add_help=False)
    index_option.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                              help=f"index directory (default {DEFAULT_INDEX})")  # fmt: skip
    gazetteer_option = argparse.ArgumentParser(add_help=False)
    gazetteer_option.add_argument(
        "--gazetteer", type=Path, default=None,
        help="organization gazetteer (default corpus/organizations.toml)",
    )  # fmt: skip
    common = argparse.ArgumentParser(add_help=False, parents=[index_option, gazetteer_option])
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND",
        help="one of these; `dossier COMMAND --help` lists its options",
    )  # fmt: skip

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
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no summary; problems are still reported")  # fmt: skip
    p.add_argument("--follow-links", action="store_true",
                   help="read symbolic links that lead out of the directories given")  # fmt: skip
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("delete", parents=[index_option], help="delete documents by id")
    p.add_argument("ids", nargs="+", help="ids of the documents to delete")
    p.add_argument("--wait", type=float, default=0.0,
                   help="seconds to wait for another writer (default: stop at once)")  # fmt: skip
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("stats", parents=[common], help="documents per language, year, organization")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "search", parents=[common], help="search from the command line",
        epilog="--org also takes an organization's name or alias from the gazetteer.",
    )  # fmt: skip
    p.add_argument(
        "query",
        nargs="?",
        default="",
        help="the query (see README, Query syntax); empty browses the filters",
    )
    for facet in FACETS:
        what = facet.help[:1].lower() + facet.help[1:]
        p.add_argument(f"--{facet.param}", action="append", help=f"{what} (repeatable)")
    p.add_argument("--from", dest="date_from", help="earliest date, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="latest date, YYYY-MM-DD")
    p.add_argument("--sort", choices=SORTS, default=DEFAULT_SORT,
                   help=f"{', '.join(SORTS)} (default %(default)s)")  # fmt: skip
    p.add_argument("--collapse", choices=COLLAPSE_MODES, default=DEFAULT_COLLAPSE,
                   help="story: each story (an article and its near-duplicates) once; "
                   "none: every article (default %(default)s)")  # fmt: skip
    p.add_argument("--page", type=int, default=1,
                   help=f"result page, 1 to {LIMITS.max_page} (default %(default)s)")  # fmt: skip
    p.add_argument(
        "--per-page",
        type=int,
        default=DEFAULT_PER_PAGE,
        help=f"results per page, 1 to {LIMITS.max_per_page} (default %(default)s)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON, the document GET /api/search answers",
    )
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("orgs", help="gazetteer tools")
    orgs = p.add_subparsers(
        dest="orgs_command", required=True, metavar="TOOL", help="the gazetteer tool to run"
    )
    s = orgs.add_parser(
        "suggest", parents=[gazetteer_option], help="names in the corpus the gazetteer lacks"
    )
    s.add_argument("paths", nargs="*", type=Path,
                   help=f"files or directories to read (default {DEFAULT_CORPUS})")  # fmt: skip
    s.add_argument("--limit", type=int, default=50,
                   help="most names to list (default %(default)s)")  # fmt: skip
    s.set_defaults(func=cmd_orgs_suggest)

    # Subcommands of other packages (the web app's `serve`) register through an
    # entry point, so this engine package never imports them.
    for entry in entry_points(group=COMMANDS_GROUP):
        entry.load()(sub, common)
    return parser


def _check_index_option(args: argparse.Namespace) -> None:
    """An --index that is a regular file is refused before anything reads or writes it."""
    index = getattr(args, "index", None)
    if index is not None and index.exists() and not index.is_dir():
        raise DossierError(f"--index {index} is a file, not an index directory")


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            args = build_parser().parse_args(argv)
            _check_index_option(args)
            return args.func(args)
        finally:
            sys.stdout.flush()  # so a closed pipe is noticed here, not at exit
    except BrokenPipeError:  # `dossier search … | head -1`: the reader has what it wanted
        # As the Python docs advise (signal module, "Note on SIGPIPE"): point stdout at
        # devnull so the interpreter's own flush at exit cannot fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except DossierError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return getattr(exc, "exit_status", 2)  # 128 + signal for a stopped build
    except OSError as exc:  # a full disk, a read-only index directory…
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"dossier: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
