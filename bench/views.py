"""Benchmark of the analyst views at 36k articles: organization pages and export.

Builds (or reuses) an index of synthetic articles recombined from the shared
news data by ``bench/generate.py`` (one in eight names organizations from the
gazetteer, dates spread over 1987–2025, so organization pages have decades of
mentions and dozens of co-occurring organizations), then times requests
through the real Flask app (``create_app``, test client: the app's own time,
one worker, no network):

* the organization page and its API, the first visit of a generation
  (nothing cached) and again (cached per generation), p50/p95/p99;
* the organization list;
* a 10,000-row CSV and JSON Lines export: time to the first byte, total time,
  rows per second, and gzipped.

    .venv/bin/python bench/views.py                 # 36,000 articles → bench/VIEWS_RESULTS.md
    .venv/bin/python bench/views.py --count 2000    # a quick look
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402  (bench/ is not a package)
from bench_corpus import DEFAULT_DATA  # noqa: E402

from indexer import build_index  # noqa: E402
from indexer.search import organizations as organization_views  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.settings import SETTINGS  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.50), 2),
        "p95": round(percentile(values, 0.95), 2),
        "p99": round(percentile(values, 0.99), 2),
        "max": round(max(values), 2),
    }


def timed(client, url: str, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(url, **kwargs)
    response.get_data()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response


def prepare(count: int, work: Path, data: Path, reuse: bool) -> tuple[Path, float | None]:
    index = work / "index"
    corpus = work / f"synthetic-{count}.jsonl"
    if reuse and (index / "CURRENT").exists() and corpus.exists():
        return index, None
    generate.write(count, corpus, data=data, seed=14, prefix="views")
    started = time.perf_counter()
    build_index([corpus], index, rebuild=True)
    return index, time.perf_counter() - started


def run(count: int, work: Path, data: Path, reuse: bool, repeats: int) -> dict:
    index, build_seconds = prepare(count, work, data, reuse)
    config = {s.name: s.default for s in SETTINGS}
    config.update(TESTING=True, INDEX_DIR=index)
    app = create_app(config)
    client = app.test_client()
    timed(client, "/api/health")  # opens the index
    listing = client.get("/api/organizations?per_page=500").get_json()
    organizations = listing["organizations"]
    ids = [org["id"] for org in organizations[:20]]
    results: dict = {
        "documents": client.get("/api/health").get_json()["documents"],
        "organizations": len(organizations),
        "top_counts": [org["count"] for org in organizations[:5]],
        "build_seconds": round(build_seconds, 1) if build_seconds else None,
    }
    gc.collect()
    # The very first organization page of a generation also builds the facet
    # caches (year, month, source, language codes) that searches share.
    results["organization_page_cold"] = round(timed(client, f"/organizations/{ids[0]}")[0], 1)
    first_page = []  # the profile computed afresh (its per-generation cache emptied)
    for _ in range(repeats):
        for org_id in ids:
            organization_views._views.clear()
            first_page.append(timed(client, f"/organizations/{org_id}")[0])
    page, api = [], []
    for _ in range(repeats):
        for org_id in ids:
            page.append(timed(client, f"/organizations/{org_id}")[0])
            api.append(timed(client, f"/api/organizations/{org_id}")[0])
    lists = [timed(client, "/organizations")[0] for _ in range(repeats)]
    results["organization_page_first"] = summary(first_page)
    results["organization_page"] = summary(page)
    results["organization_api"] = summary(api)
    results["organization_list_page"] = summary(lists)
    exports = {}
    for name, url in (
        ("csv, browse (lang=en, newest first)", "/api/export.csv?lang=en&sort=date"),
        ("csv, query by relevance", "/api/export.csv?q=the"),
        ("jsonl, browse", "/api/export.jsonl?lang=en&sort=date"),
    ):
        totals, firsts, rows = [], [], 0
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url, buffered=False)
            first = next(iter(response.response))
            firsts.append((time.perf_counter() - started) * 1000)
            body = first + b"".join(response.response)
            response.close()
            totals.append((time.perf_counter() - started) * 1000)
            rows = body.count(b"\n") - (1 if "csv" in url else 0)
        exports[name] = {
            "rows": rows,
            "first_byte_ms": round(min(firsts), 1),
            "total_ms": round(min(totals), 1),
            "rows_per_s": round(rows / (min(totals) / 1000)),
            "bytes": len(body),
        }
    gz_ms, gz = timed(client, "/api/export.csv?lang=en&sort=date",
                      headers={"Accept-Encoding": "gzip"})  # fmt: skip
    exports["csv, browse, gzipped"] = {
        "rows": exports["csv, browse (lang=en, newest first)"]["rows"],
        "total_ms": round(gz_ms, 1),
        "bytes": len(gz.get_data()),
    }
    results["exports"] = exports
    return results


def markdown(results: dict, count: int) -> str:
    def row(name: str, s: dict) -> str:
        return f"| {name} | {s['n']} | {s['p50']} | {s['p95']} | {s['p99']} | {s['max']} |"

    lines = [
        "# Analyst views: organization pages and export",
        "",
        f"Written by `bench/views.py` on {time.strftime('%Y-%m-%d')} ({platform.python_version()}, "
        f"{platform.machine()}, a shared 2-core machine). {results['documents']:,} synthetic "
        f"articles recombined from the shared news data by `bench/generate.py` "
        f"(one in eight names organizations); {results['organizations']} organizations, the "
        f"most named in {', '.join(map(str, results['top_counts']))} articles.",
        "Times are the app's own (real Flask app, test client, one process, no network), "
        "in milliseconds, over the 20 most named organizations. \"Profile computed\": the "
        "organization's figures are computed afresh (their per-generation cache emptied "
        "before each request); the very first organization page of a new index generation "
        f"took {results['organization_page_cold']} ms, as it also builds the facet caches "
        "every search of that generation shares.",
        "",
        "| Request | n | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|",
        row("`/organizations/<id>`, profile computed", results["organization_page_first"]),
        row("`/organizations/<id>` (profile cached)", results["organization_page"]),
        row("`/api/organizations/<id>` (profile cached)", results["organization_api"]),
        row("`/organizations` (the list)", results["organization_list_page"]),
        "",
        "| Export (cap 10,000 rows) | rows | first byte ms | total ms | rows/s | bytes |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, e in results["exports"].items():
        lines.append(
            f"| {name} | {e['rows']:,} | {e.get('first_byte_ms', '–')} | {e['total_ms']} | "
            f"{e.get('rows_per_s', '–')} | {e['bytes']:,} |"
        )
    target = results["organization_page_first"]["p95"]
    verdict = "met" if target < 100 else "missed"
    lines += [
        "",
        f"Target: the organization page under 100 ms p95 — **{verdict}** "
        f"({target} ms p95 with the profile computed afresh for every request).",
        "",
    ]
    if results["build_seconds"]:
        lines.append(f"(Index built in {results['build_seconds']} s for this run.)")
    lines.append("")
    lines.append("```json")
    lines.append(json.dumps(results, indent=1))
    lines.append("```")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=36_000)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-views")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reuse", action="store_true", help="keep an index already built")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "VIEWS_RESULTS.md")
    args = parser.parse_args(argv)
    results = run(args.count, args.work, args.data, args.reuse, args.repeats)
    args.out.write_text(markdown(results, args.count), encoding="utf-8")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
