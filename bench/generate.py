"""Synthetic corpora for growth curves, recombined from real sentences.

The real corpora hold about 36,000 articles; growth curves need 100k, 300k
or 1M. Each synthetic article is built from real material of one language:

- its language is drawn with the real corpus's language shares;
- its title is a real title (or, where the data set has none, a real
  sentence) of that language; its body is 3–12 real sentences of that
  language, drawn at random from all articles, so word frequencies and
  sentence shapes stay realistic while the articles themselves are new;
- it gets a date (1987–2025, every day equally likely), a source from a
  short list of real outlets of that language, and, for about one article
  in eight, a sentence naming one or two organizations from
  ``corpus/organizations.toml`` in that language (display name or alias),
  so the organization facet and filters have work to do.

Without the shared data folder it falls back to the bundled
``corpus/articles`` (tiny, but enough for the smoke test). Deterministic
for a given seed.

    python bench/generate.py 100000 out.jsonl [--data DIR] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_corpus import DEFAULT_DATA, Record, read_records

REPO = Path(__file__).resolve().parent.parent
GAZETTEER = REPO / "corpus" / "organizations.toml"
BUNDLED = REPO / "corpus" / "articles"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"„“«(]?[A-ZÄÖÜÇĞİŞА-Я0-9])")

SOURCES = {
    "en": ["Reuters", "BBC News", "Associated Press", "Agence France-Presse", "Trend"],
    "de": ["DER STANDARD", "dpa", "APA", "Süddeutsche Zeitung", "News.Az"],
    "tr": ["Anadolu Ajansı", "Hürriyet", "Milliyet", "Sabah", "Trend"],
    "ru": ["ТАСС", "Интерфакс", "РИА Новости", "News.Az"],
    "az": ["Trend", "APA", "AzVision.az", "News.Az"],
}
# Sentences that name organizations, one short frame per language.
ORG_FRAMES = {
    "en": [
        "{a} said in a statement on Monday that talks would continue.",
        "Officials of {a} met representatives of {b} in the capital.",
    ],
    "de": [
        "{a} teilte am Montag mit, die Gespräche würden fortgesetzt.",
        "Vertreter von {a} trafen sich mit {b} in der Hauptstadt.",
    ],
    "tr": [
        "{a} pazartesi günü yaptığı açıklamada görüşmelerin süreceğini bildirdi.",
        "{a} yetkilileri başkentte {b} temsilcileriyle görüştü.",
    ],
    "ru": [
        "{a} в понедельник заявила, что переговоры продолжатся.",
        "Представители {a} встретились с {b} в столице.",
    ],
    "az": [
        "{a} bazar ertəsi danışıqların davam edəcəyini bildirib.",
        "{a} nümayəndələri paytaxtda {b} ilə görüşüb.",
    ],
}
DATE_START = dt.date(1987, 1, 1)
DATE_DAYS = (dt.date(2025, 12, 31) - DATE_START).days


def split_sentences(text: str) -> list[str]:
    sentences = []
    for paragraph in text.split("\n"):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            sentence = sentence.strip()
            if 20 <= len(sentence) <= 600:
                sentences.append(sentence)
    return sentences


class SentencePool:
    """Real titles and sentences per language, and the language shares."""

    def __init__(self, records: list[Record]):
        self.sentences: dict[str, list[str]] = defaultdict(list)
        self.titles: dict[str, list[str]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        for record in records:
            lang = record.lang or "en"
            counts[lang] += 1
            if record.title:
                self.titles[lang].append(record.title)
            self.sentences[lang].extend(split_sentences(record.body))
        self.languages = [lang for lang in counts if self.sentences[lang]]
        if not self.languages:
            raise ValueError("no sentences to recombine")
        self.weights = [counts[lang] for lang in self.languages]

    @classmethod
    def from_data(cls, data: Path | None) -> SentencePool:
        if data is not None and Path(data).exists():
            records = list(read_records(Path(data)))
            if records:
                return cls(records)
        return cls(_bundled_records())


def _bundled_records() -> list[Record]:
    """The bundled .txt articles (with their 'date' header line dropped)."""
    records = []
    for path in sorted(BUNDLED.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if not line.lower().startswith("date ")]
        body = "\n".join(lines)
        lang = "az" if "ə" in body else "de" if re.search(r"\b(der|und|die)\b", body) else "en"
        records.append(Record(path.stem, "", body, None, lang, None))
    return records


def organization_names(path: Path = GAZETTEER) -> dict[str, list[str]]:
    """Per language, names to mention: each organization's display name in it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    names: dict[str, list[str]] = defaultdict(list)
    for org in data.get("organization", []):
        if org.get("kind") == "news agency":
            continue
        for lang, name in org.get("names", {}).items():
            names[lang].append(name)
    return names


def generate(count: int, pool: SentencePool, *, seed: int = 1, prefix: str = "syn"):
    """``count`` synthetic records (an iterator, so 1M articles never sit in memory)."""
    rng = random.Random(seed)
    orgs = organization_names()
    for n in range(count):
        lang = rng.choices(pool.languages, pool.weights)[0]
        sentences = pool.sentences[lang]
        body = [rng.choice(sentences) for _ in range(rng.randint(3, 12))]
        if rng.random() < 0.125 and orgs.get(lang):
            frame = rng.choice(ORG_FRAMES.get(lang, ORG_FRAMES["en"]))
            a, b = rng.choice(orgs[lang]), rng.choice(orgs[lang])
            body.insert(rng.randint(0, len(body)), frame.format(a=a, b=b))
        titles = pool.titles.get(lang)
        title = rng.choice(titles) if titles else rng.choice(sentences)[:120]
        paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
        date = DATE_START + dt.timedelta(days=rng.randrange(DATE_DAYS + 1))
        yield Record(
            id=f"{prefix}-{seed}-{n:07d}",
            title=title,
            body="\n\n".join(paragraphs),
            date=date.isoformat(),
            lang=lang,
            source=rng.choice(SOURCES.get(lang, SOURCES["en"])),
        )


def write(
    count: int, out: Path, *, data: Path | None = DEFAULT_DATA, seed: int = 1, prefix: str = "syn"
) -> Path:
    """Write ``count`` synthetic articles to ``out`` (JSON Lines); returns ``out``."""
    pool = SentencePool.from_data(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for record in generate(count, pool, seed=seed, prefix=prefix):
            handle.write(record.to_json())
            handle.write("\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write(args.count, args.out, data=args.data, seed=args.seed)
    print(f"wrote {args.count} synthetic articles to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
