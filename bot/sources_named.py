"""Who said it: normalising attributions so one source is recognised under its names.

"South Korea's NIS", "South Korean intelligence" and "Seoul" are one voice in a
story; "Zelensky" and "Zelenskyy" one person. Keys: `person:<surname>`,
`country:<iso2>`, `org:<name>`, or None for a nameless authority ("officials").
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str]:
    """Country names, alternative spellings, capitals and demonyms -> ISO 3166 alpha-2."""
    from countryinfo import all_countries

    table: dict[str, str] = {}
    for country in all_countries():
        try:
            info = country.info()
        except Exception:  # countryinfo raises its own errors for odd entries
            continue
        iso = ((info.get("ISO") or {}).get("alpha2") or "").lower()
        if not iso:
            continue
        demonym = info.get("demonym") or ""
        demonym = demonym.strip().lower() if isinstance(demonym, str) else ""
        words = [info.get("name") or "", info.get("capital") or "", demonym]
        words += info.get("altSpellings") or []
        if demonym:
            words.append(demonym + "s")
        for w in words:
            if not isinstance(w, str):
                continue
            w = w.strip().lower()
            # two-letter codes ("UA") and "US" collide with English words; names only
            if len(w) > 3 or (
                len(w) == 3 and "." not in w and w.isalpha() and w not in _SHORT_WORDS
            ):
                table.setdefault(w, iso)
    table.setdefault("u.s.", "us")
    table.setdefault("u.k.", "gb")
    return table


_SHORT_WORDS = {"the", "and", "can", "man", "per", "are", "usa"}


def country_of(text: str) -> str | None:
    """The ISO code of the longest country, capital or demonym named in `text`."""
    words = re.findall(r"[A-Za-z][A-Za-z.'-]*", text.replace("’", "'"))
    words = [re.sub(r"'s$", "", w).lower() for w in words]
    table = _gazetteer()
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            key = " ".join(words[i : i + n])
            if key in table:
                return table[key]
    return None


def _norm_name(name: str) -> str:
    name = re.sub(r"'s$|’s$", "", name.strip().lower())
    return re.sub(r"(.)\1+", r"\1", name)  # Zelenskyy / Zelensky


def source_key(text: str, labels: dict[str, str]) -> str | None:
    """Key a source phrase, given the named-entity labels found inside it (text -> label)."""
    # The tagger calls some capitals persons ("according to Kyiv"): the gazetteer decides.
    labels = {t: ("GPE" if lab == "PERSON" and country_of(t) else lab) for t, lab in labels.items()}
    persons = [t for t, lab in labels.items() if lab == "PERSON"]
    if persons:
        return "person:" + _norm_name(persons[-1].split()[-1])
    places = [t for t, lab in labels.items() if lab in {"GPE", "NORP", "LOC"}]
    orgs = [t for t, lab in labels.items() if lab == "ORG"]
    for phrase in places + orgs + [text]:
        code = country_of(phrase)
        if code:
            return "country:" + code
    if orgs:
        return "org:" + re.sub(r"^the\s+", "", orgs[-1].lower())
    if places:
        return "place:" + places[-1].lower()
    return None


def same_source(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    kind_a, _, name_a = a.partition(":")
    kind_b, _, name_b = b.partition(":")
    # A one-word name is tagged a person in one article and an organisation in another.
    named = {"person", "org"}
    return kind_a in named and kind_b in named and fuzz.ratio(name_a, name_b) >= 85
