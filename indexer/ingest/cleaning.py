"""Scraped-page cleaning: remove page furniture, find the source, derive a title.

The bundled articles are real scrapes and keep their quirks: a font-size
widget (``+ ↺ − 16 px``), a ``Search in archive`` link, a trailing ``Tags:``
line, an agency signature on the last line (``News.Az``) or a lead-in naming
the agency (``…, Trend reports.``, ``berichtet AzVision``). None of that is
article text, so it is removed from what is indexed; the agency becomes the
document's source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import ftfy

from indexer.analysis.folding import fold
from indexer.ingest.dates import _MONTH_RE, is_date_line

TITLE_MAX_CHARS = 160

_WIDGET = re.compile(r"\+\s*↺\s*[−–-]\s*\d+\s*px")
_FURNITURE_LINE = re.compile(
    r"^(?:search in archive|share|print|read more|advertisement|subscribe|"
    r"follow us on \w+|im archiv suchen|teilen|drucken|поиск по архиву|поделиться|"
    r"arşivde ara|paylaş|arxivdə axtar|paylaş)\s*[:.]?$",
    re.IGNORECASE,
)
_TAGS_LINE = re.compile(r"^(?:tags|schlagwörter|теги|etiketler|teqlər)\s*:.*$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\u2028\u2029]")
_DOMAIN_LIKE = re.compile(r"^[A-Z][\w-]{1,30}\.(?:[A-Za-z]{2,6})$")
_AGENCY = r"[A-ZА-Я][\w&-]*(?:\.[A-Za-z]{2,6})?"
_LEAD_INS = (
    re.compile(rf",\s+(?P<src>{_AGENCY}(?:\s{_AGENCY}){{0,2}})\s+(?:reports|reported|informs)\.?$"),
    re.compile(rf"\b(?:berichtet|berichtete|meldet|meldete)\s+(?P<src>{_AGENCY})\b"),
    re.compile(rf"\b(?:сообщает|передает|передаёт)\s+(?P<src>{_AGENCY})\b"),
    re.compile(rf"\b(?P<src>{_AGENCY})\s+xəbər verir\b"),
    re.compile(rf"\b(?:told|reported to|according to)\s+(?P<src>{_AGENCY})(?=[.,]|$)"),
)
_DATELINE = re.compile(
    rf"^[A-ZА-ЯÀ-Ý][\w'’ -]{{1,40}},(?:\s*[\w'’ -]{{1,40}},)?\s*"
    rf"(?:(?:{_MONTH_RE})\.?\s+\d{{1,2}}|\d{{1,2}}\.?\s+(?:{_MONTH_RE}))(?:,?\s+\d{{4}})?"
    r"\s*(?:\([^)]{1,40}\))?\s*[.:—–-]+\s+",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”»]?\s+(?=[\"“«A-ZА-ЯÀ-ÝÇĞİÖŞÜƏ0-9])")


@dataclass(slots=True)
class CleanText:
    paragraphs: list[str]
    source: str | None
    repaired: bool = False  # encoding damage (mojibake) was repaired


# ftfy for encoding damage only: text decoded with the wrong codec ("Â£600m",
# "cafÃ©"). Everything else it could change is left as the source wrote it: HTML
# entities stay text, curly quotes, ligatures and full-width letters stay, and
# line breaks and normalization are ours (normalize_text).
_ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)


def repair_encoding(text: str) -> str:
    """``text`` with mojibake repaired ("Â£600m" → "£600m"); unchanged when there is none."""
    return ftfy.fix_text(text, _ENCODING_ONLY)


def normalize_text(text: str) -> str:
    """NFC, Unix newlines, no control or zero-width characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def _known_source(name: str, known_sources: Mapping[str, str]) -> str | None:
    return known_sources.get(fold(name).strip())


def _signature(line: str, known_sources: Mapping[str, str]) -> str | None:
    line = line.strip().rstrip(".")
    if len(line) > 40:
        return None
    known = _known_source(line, known_sources)
    if known:
        return known
    return line if _DOMAIN_LIKE.match(line) else None


def find_lead_in_source(paragraphs: list[str], known_sources: Mapping[str, str]) -> str | None:
    """The agency named in a lead-in such as ``…, Trend reports.`` or ``berichtet AzVision``."""
    candidates = paragraphs[:2] + paragraphs[-1:]
    for paragraph in candidates:
        for sentence in _SENTENCE_END.split(paragraph):
            for pattern in _LEAD_INS:
                match = pattern.search(sentence.strip())
                if not match:
                    continue
                name = match.group("src").rstrip(".")
                known = _known_source(name, known_sources)
                if known:
                    return known
                # "X reports." is a strong signal by itself; "told X" needs X to look like
                # an agency ("told reporters" must not become a source).
                if pattern is _LEAD_INS[0] or _DOMAIN_LIKE.match(name):
                    return name
    return None


def clean(text: str, known_sources: Mapping[str, str] | None = None) -> CleanText:
    """Split scraped text into clean paragraphs and find the agency that wrote it."""
    known_sources = known_sources or {}
    repaired_text = repair_encoding(text)
    repaired = repaired_text != text
    text = _WIDGET.sub(" ", normalize_text(repaired_text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not _FURNITURE_LINE.match(line)]
    source = None
    while lines:
        if _TAGS_LINE.match(lines[-1]):
            lines.pop()
            continue
        if source is None and (signature := _signature(lines[-1], known_sources)):
            source = signature
            lines.pop()
            continue
        break
    if source is None:
        source = find_lead_in_source(lines, known_sources)
    return CleanText(paragraphs=lines, source=source, repaired=repaired)


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text, maxsplit=1)[0].strip()


def strip_dateline(text: str) -> str:
    """Remove an opening dateline such as ``BAKU, Azerbaijan, September 22.``."""
    return _DATELINE.sub("", text, count=1)


def shorten(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


def split_title(paragraphs: list[str]) -> tuple[str, list[str]]:
    """Take a headline line as the title, else the first sentence (dateline removed).

    A first paragraph that is short and does not end like a sentence is a
    headline; it leaves the body. Otherwise the body stays whole and the
    title is its first sentence, shortened.
    """
    if not paragraphs:
        return "", []
    if len(paragraphs) > 1 and is_date_line(paragraphs[0]):
        # "22 September 2025" or "Published: …" above the headline is no title; it stays
        # at the top of the body, where the date is read from.
        title, body = split_title(paragraphs[1:])
        return title, [paragraphs[0], *body]
    head = paragraphs[0]
    if len(paragraphs) > 1 and len(head) <= TITLE_MAX_CHARS and not head.endswith((".", ":")):
        return head, paragraphs[1:]
    return shorten(first_sentence(strip_dateline(head))), paragraphs
