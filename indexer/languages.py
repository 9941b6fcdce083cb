"""Language codes and their names: every language the detector (py3langid) knows.

Kept apart from ``model`` because it is a long table; ``model`` re-exports it.
``und`` (ISO 639-2 "undetermined") marks text too short or too mixed for the
detector to be sure: such articles get the language-neutral analysis.
"""

from __future__ import annotations

UNDETERMINED = "und"

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "de": "German", "ru": "Russian", "tr": "Turkish", "az": "Azerbaijani",
    "af": "Afrikaans", "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "ary": "Moroccan Arabic",
    "arz": "Egyptian Arabic", "as": "Assamese", "ace": "Acehnese", "ba": "Bashkir",
    "bcl": "Central Bikol", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "crh": "Crimean Tatar", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "dz": "Dzongkha", "el": "Greek", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "ext": "Extremaduran", "fa": "Persian",
    "fi": "Finnish", "fo": "Faroese", "fr": "French", "fuv": "Nigerian Fulfulde",
    "fy": "Western Frisian", "ga": "Irish", "gcf": "Guadeloupean Creole",
    "gcr": "Guianese Creole", "gd": "Scottish Gaelic", "gl": "Galician", "gom": "Goan Konkani",
    "grc": "Ancient Greek", "gu": "Gujarati", "gug": "Paraguayan Guaraní", "guw": "Gun",
    "ha": "Hausa", "hbo": "Ancient Hebrew", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "ig": "Igbo", "is": "Icelandic", "it": "Italian", "ja": "Japanese", "jv": "Javanese",
    "ka": "Georgian", "kab": "Kabyle", "kik": "Kikuyu", "kk": "Kazakh", "km": "Khmer",
    "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin",
    "lb": "Luxembourgish", "lg": "Ganda", "lij": "Ligurian", "ln": "Lingala", "lo": "Lao",
    "lt": "Lithuanian", "ltg": "Latgalian", "lv": "Latvian", "mg": "Malagasy",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay",
    "mt": "Maltese", "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk",
    "no": "Norwegian", "nso": "Northern Sotho", "oc": "Occitan", "om": "Oromo", "or": "Odia",
    "pa": "Punjabi", "pcm": "Nigerian Pidgin", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "rw": "Kinyarwanda",
    "sa": "Sanskrit", "sdh": "Southern Kurdish", "se": "Northern Sami", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "so": "Somali", "sq": "Albanian",
    "sr": "Serbian", "st": "Southern Sotho", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "te": "Telugu", "tg": "Tajik", "th": "Thai", "tk": "Turkmen", "tl": "Tagalog",
    "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "uzs": "Southern Uzbek", "vec": "Venetian", "vi": "Vietnamese", "vo": "Volapük",
    "wa": "Walloon", "wuu": "Wu Chinese", "xh": "Xhosa", "yo": "Yoruba", "yue": "Cantonese",
    "zh": "Chinese", "zu": "Zulu",
    UNDETERMINED: "Undetermined",
}  # fmt: skip


def language_code(tag: str) -> str:
    """A language tag as Dossier records and filters it: ``pt-BR``, ``pt_BR`` and
    ``PT`` are ``pt`` (the region is not recorded; the detector knows none). An
    unknown tag comes back lowercased, for the caller to refuse or replace."""
    code = tag.strip().lower().replace("_", "-")
    if code not in LANGUAGE_NAMES and code.split("-")[0] in LANGUAGE_NAMES:
        code = code.split("-")[0]
    return code
