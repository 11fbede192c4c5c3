"""Short display names for tokenizers and readable names for language tags.

Tokenizer names in results are the specs they were loaded from (``tiktoken:cl100k_base``,
``hf:models/acme/tokenizer.json``); they are unique but can be long. Charts need short labels,
and two different tokenizers must never end up with the same label, so shortening starts from
the most compact candidate and falls back to longer ones only where labels would collide.
"""

from __future__ import annotations

import re
from collections import Counter



def library_prefixes() -> set[str]:
    """Spec prefixes that only say which library loads the tokenizer (the tokenizer registry's,
    and the family names): dropping them loses nothing unless two tokenizers would collide (then
    the prefix comes back)."""
    from ..adapters.registry import families

    return {name for f in families() for name in (f.prefix, f.name) if name} | {"file"}

#: File suffixes stripped from a tokenizer file name, longest first.
FILE_SUFFIXES = (".tokenizer.json", ".tiktoken", ".json", ".model", ".vocab", ".txt", ".bpe")

#: File stems that say nothing about the tokenizer; the parent folder names it instead.
GENERIC_STEMS = {"tokenizer", "vocab", "merges", "spm", "sentencepiece", "model", "tokenizer_config", "bpe"}

MAX_LABEL = 24
MIN_LABEL = 3


def _path_candidates(scheme: str, rest: str) -> list[str]:
    """Ever longer labels for a tokenizer given by a file path."""
    parts = [p for p in re.split(r"[\\/]+", rest) if p]
    last = parts[-1] if parts else rest
    stem = last
    for suffix in FILE_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    parents = parts[:-1]
    cands: list[str] = []
    if stem.lower() in GENERIC_STEMS and parents:
        # ``acme/tokenizer.json``: the folder is the name; more folders only to disambiguate,
        # or when the folder name alone is too short to mean anything (``a``, ``v2``).
        for k in range(1, len(parents) + 1):
            label = "/".join(parents[-k:])
            if len(label) >= MIN_LABEL or k == len(parents):
                cands.append(label)
    else:
        cands.append(stem)
        for k in range(1, len(parents) + 1):
            cands.append("/".join(parents[-k:] + [stem]))
    if scheme:
        cands.append(f"{scheme}:{cands[-1]}")
    return cands


def _candidates(name: str) -> list[str]:
    """Labels for ``name``, shortest first; the full name is always last."""
    scheme, sep, rest = name.partition(":")
    if not sep:
        scheme, rest = "", name
    looks_like_path = "/" in rest or "\\" in rest or rest.lower().endswith(FILE_SUFFIXES)
    if looks_like_path:
        cands = _path_candidates(scheme, rest)
    elif scheme.lower() in library_prefixes() and re.search(r"[A-Za-z]", rest) and "=" not in rest:
        cands = [rest]
    else:
        cands = []
    cands.append(name)
    out: list[str] = []
    for c in cands:
        if c and c not in out:
            out.append(c)
    return out


def _truncate(label: str, limit: int) -> str:
    """Cut the middle of a long label: the start and the end carry the most meaning."""
    if len(label) <= limit:
        return label
    head = (limit - 1) // 2
    tail = limit - 1 - head
    return f"{label[:head]}…{label[-tail:]}"


def short_names(names: list[str], limit: int = MAX_LABEL) -> dict[str, str]:
    """A unique, short display label for each tokenizer name (order-independent per name set)."""
    cands = {n: _candidates(n) for n in names}
    level = {n: 0 for n in names}
    while True:
        labels = {n: _truncate(cands[n][level[n]], limit) for n in names}
        counts = Counter(labels.values())
        clashing = [n for n in names if counts[labels[n]] > 1 and level[n] < len(cands[n]) - 1]
        if not clashing:
            break
        for n in clashing:
            level[n] += 1
    # Truncation can still make two long names equal: number the duplicates.
    seen: Counter[str] = Counter()
    counts = Counter(labels.values())
    for n in names:
        if counts[labels[n]] > 1:
            seen[labels[n]] += 1
            base = labels[n]
            labels[n] = f"{_truncate(base, limit - 3)} #{seen[base]}"
    return labels


#: English names of language tags (ISO 639-3 as NTREX uses them, plus common ISO 639-1 codes).
LANGUAGE_NAMES = {
    "afr": "Afrikaans", "amh": "Amharic", "arb": "Arabic", "ara": "Arabic", "aze": "Azerbaijani",
    "bak": "Bashkir", "bel": "Belarusian", "bem": "Bemba", "ben": "Bengali", "bod": "Tibetan",
    "bos": "Bosnian", "bul": "Bulgarian", "cat": "Catalan", "ces": "Czech", "ckb": "Central Kurdish",
    "cym": "Welsh", "dan": "Danish", "deu": "German", "div": "Divehi", "dzo": "Dzongkha",
    "ell": "Greek", "eng": "English", "est": "Estonian", "eus": "Basque", "ewe": "Ewe",
    "fao": "Faroese", "fas": "Persian", "fij": "Fijian", "fil": "Filipino", "fin": "Finnish",
    "fra": "French", "fuc": "Pulaar", "gle": "Irish", "glg": "Galician", "gsw": "Swiss German",
    "guj": "Gujarati", "hau": "Hausa", "heb": "Hebrew", "hin": "Hindi", "hmn": "Hmong",
    "hrv": "Croatian", "hun": "Hungarian", "hye": "Armenian", "ibo": "Igbo", "ind": "Indonesian",
    "isl": "Icelandic", "ita": "Italian", "jpn": "Japanese", "kan": "Kannada", "kat": "Georgian",
    "kaz": "Kazakh", "khm": "Khmer", "kin": "Kinyarwanda", "kir": "Kyrgyz", "kmr": "Kurdish",
    "kor": "Korean", "lao": "Lao", "lav": "Latvian", "lit": "Lithuanian", "ltz": "Luxembourgish",
    "mal": "Malayalam", "mar": "Marathi", "mey": "Hassaniya Arabic", "mkd": "Macedonian",
    "mlg": "Malagasy", "mlt": "Maltese", "mon": "Mongolian", "mri": "Maori", "msa": "Malay",
    "mya": "Burmese", "nde": "North Ndebele", "nep": "Nepali", "nld": "Dutch", "nno": "Norwegian Nynorsk",
    "nob": "Norwegian Bokmål", "nso": "Northern Sotho", "nya": "Chichewa", "orm": "Oromo",
    "pan": "Punjabi", "pol": "Polish", "por": "Portuguese", "prs": "Dari", "pus": "Pashto",
    "ron": "Romanian", "rus": "Russian", "shi": "Tachelhit", "sin": "Sinhala", "slk": "Slovak",
    "slv": "Slovenian", "smo": "Samoan", "sna": "Shona", "snd": "Sindhi", "som": "Somali",
    "spa": "Spanish", "sqi": "Albanian", "srp": "Serbian", "ssw": "Swati", "swa": "Swahili",
    "swe": "Swedish", "tah": "Tahitian", "tam": "Tamil", "tat": "Tatar", "tel": "Telugu",
    "tgk": "Tajik", "tha": "Thai", "tir": "Tigrinya", "ton": "Tongan", "tsn": "Tswana",
    "tuk": "Turkmen", "tur": "Turkish", "uig": "Uyghur", "ukr": "Ukrainian", "urd": "Urdu",
    "uzb": "Uzbek", "ven": "Venda", "vie": "Vietnamese", "wol": "Wolof", "xho": "Xhosa",
    "yor": "Yoruba", "yue": "Cantonese", "zho": "Chinese", "zul": "Zulu",
    "ar": "Arabic", "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sv": "Swedish",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
    "und": "undetermined", "all": "all languages",
}


def language_name(tag: str, extra: dict[str, str] | None = None) -> str:
    """English name of a language tag (``mya`` → ``Burmese``); the tag itself when unknown."""
    if extra and tag in extra:
        return extra[tag]
    if tag.startswith("code-"):
        return f"{tag[5:].capitalize()} code"
    base = tag.split("-")[0].split("_")[0].lower()
    return LANGUAGE_NAMES.get(tag.lower(), LANGUAGE_NAMES.get(base, tag))


def language_label(tag: str, extra: dict[str, str] | None = None) -> str:
    """``Burmese (mya)``: a readable name that still shows the tag found in metrics.csv."""
    name = language_name(tag, extra)
    return tag if name == tag else f"{name} ({tag})"
