"""``dossier orgs suggest``: organization-like names the gazetteer does not know yet.

Candidates are runs of capitalized words that contain an organization word
in one of the supported languages (Service, Council, Dienst, служба,
Bakanlığı, Xidməti…), plus acronyms of two to six capitals. Runs that
overlap a known gazetteer name are dropped, and what remains is counted by
the number of articles naming it, so a curator can extend the gazetteer
with the most frequent gaps first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.analysis.folding import fold
from indexer.analysis.tokens import iter_words
from indexer.ingest.organizations import Gazetteer
from indexer.model import Document

ORG_WORDS = {
    fold(w)
    for w in [
        "service",
        "services",
        "council",
        "forum",
        "conference",
        "agency",
        "ministry",
        "committee",
        "commission",
        "organization",
        "organisation",
        "union",
        "bank",
        "army",
        "corporation",
        "company",
        "party",
        "association",
        "institute",
        "university",
        "police",
        "office",
        "administration",
        "secretariat",
        "commonwealth",
        "assembly",
        "parliament",
        "court",
        "bureau",
        "authority",
        "federation",
        "league",
        "fund",
        "foundation",
        "group",
        "dienst",
        "rat",
        "komitee",
        "konferenz",
        "ministerium",
        "verwaltung",
        "behörde",
        "agentur",
        "gesellschaft",
        "verband",
        "partei",
        "bundesamt",
        "amt",
        "kommission",
        "служба",
        "совет",
        "комитет",
        "министерство",
        "агентство",
        "организация",
        "союз",
        "партия",
        "управление",
        "bakanlığı",
        "kurumu",
        "teşkilatı",
        "servisi",
        "konseyi",
        "komitesi",
        "ajansı",
        "başkanlığı",
        "örgütü",
        "xidməti",
        "nazirliyi",
        "komitəsi",
        "şurası",
        "agentliyi",
        "idarəsi",
        "təşkilatı",
    ]
}
CONNECTORS = {"of", "the", "and", "for", "on", "von", "der", "des", "für", "und", "и", "по", "və"}
_ACRONYM = re.compile(r"^[A-ZА-Я]{2,6}$")
_ROMAN = re.compile(r"^[IVXLC]+$")


@dataclass(slots=True, frozen=True)
class Suggestion:
    name: str
    documents: int


def _candidates(text: str) -> Iterable[tuple[int, int, str]]:
    spans = list(iter_words(text))
    run: list = []

    def flush() -> Iterable[tuple[int, int, str]]:
        while run and run[-1].text.lower() in CONNECTORS:
            run.pop()
        while run and run[0].text.lower() in CONNECTORS:
            run.pop(0)
        if len(run) >= 2 and any(fold(s.text) in ORG_WORDS for s in run):
            yield run[0].start, run[-1].end, text[run[0].start : run[-1].end]

    for span in spans:
        word = span.text
        joined = not run or text[run[-1].end : span.start].strip() in ("", "-")
        if joined and (word[:1].isupper() or (run and word.lower() in CONNECTORS)):
            run.append(span)
            continue
        yield from flush()
        run = [span] if word[:1].isupper() else []
    yield from flush()
    for span in spans:
        if _ACRONYM.match(span.text) and not _ROMAN.match(span.text):
            yield span.start, span.end, span.text


def suggest_organizations(
    documents: Iterable[Document], gazetteer: Gazetteer, *, limit: int = 50
) -> list[Suggestion]:
    counts: Counter[str] = Counter()
    for doc in documents:
        title = doc.title.rstrip("…")
        text = doc.body if title in doc.body else f"{doc.title}\n\n{doc.body}"
        known = [
            (spans[s].start, spans[e - 1].end)
            for spans in [list(iter_words(text))]
            for s, e, _ in gazetteer.find_spans([w.text for w in spans], doc.lang or "en",
                                               require_context=False)
        ]  # fmt: skip
        names = set()
        for start, end, name in _candidates(text):
            if any(start < k_end and k_start < end for k_start, k_end in known):
                continue
            names.add(" ".join(name.split()))
        counts.update(names)
    return [Suggestion(name, n) for name, n in counts.most_common(limit)]
