"""The grammar of stated figures: numbers, their qualifiers, and what range they admit.

News rarely gives an exact count: "more than 10,000", "nearly 3,000", "between
1,000 and 3,000". Two such figures contradict each other only when no true value
fits both, so every stated figure becomes an interval and comparison checks overlap.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from number_parser import parse_number

from bot.model import Quantity

# Qualifiers, longest first so "more than" wins over "more".
LOWER_BOUND = (
    "at the very least",
    "upwards of",
    "upward of",
    "in excess of",
    "greater than",
    "more than",
    "well over",
    "well above",
    "at least",
    "north of",
    "exceeding",
    "over",
    "above",
    "topping",
    "surpassing",
)
UPPER_BOUND = (
    "just short of",
    "just shy of",
    "fewer than",
    "less than",
    "just under",
    "no more than",
    "close to",
    "nearly",
    "almost",
    "up to",
    "at most",
    "under",
    "below",
    "shy of",
)
APPROXIMATE = (
    "an estimated",
    "approximately",
    "estimated",
    "roughly",
    "around",
    "about",
    "round",
    "some",
    "circa",
    "approx.",
    "approx",
    "or so",
)
QUALIFIER_WORDS = {"low": LOWER_BOUND, "high": UPPER_BOUND, "about": APPROXIMATE}

SCALE = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "bn": 1e9,
    "b": 1e9,
}
# Vague plurals admit a range rather than a number.
VAGUE = {
    "dozens": (24.0, 99.0),
    "scores": (40.0, 99.0),
    "hundreds": (200.0, 999.0),
    "thousands": (2000.0, 9999.0),
    "tens of thousands": (20000.0, 99999.0),
    "hundreds of thousands": (200000.0, 999999.0),
    "millions": (2e6, 9.99e6),
}
_WORD_NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
    "billion",
    "a",
    "dozen",
]
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUM = re.compile(
    rf"(?P<cur>[$€£])?\s*(?P<num>{_DIGITS})\s*(?P<scale>hundred|thousand|million|billion|trillion|bn|mn|k|m|b)?\b",
    re.I,
)
_RANGE_SEP = r"\s*(?:-|–|—|to|and)\s*"
_SPELLED = re.compile(
    r"\b(?:(?:a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million|billion|dozen)(?:[\s-]+(?:and\s+)?)?)+",
    re.I,
)


def is_number_word(word: str) -> bool:
    return word.lower().strip("-") in _WORD_NUMBERS or word.lower() == "dozen"


@lru_cache(maxsize=8192)
def number_value(text: str) -> float | None:
    """One number, written in digits ("1,100", "5.5 billion") or words ("Eighty-nine").

    Cached: number_parser takes about a millisecond per phrase and news repeats
    the same few phrases ("two", "hundreds", "more than a dozen") all day.
    """
    text = text.strip().lower()
    if not text:
        return None
    m = _NUM.fullmatch(text.replace("$", "").replace("€", "").replace("£", "").strip())
    if m:
        value = float(m.group("num").replace(",", ""))
        if m.group("scale"):
            value *= SCALE[m.group("scale").lower()]
        return value
    if text in {"a dozen", "dozen"}:
        return 12.0
    words = text.replace("-", " ")
    parsed = parse_number(words)
    if parsed is None and words.startswith("a "):
        parsed = parse_number("one " + words[2:])
    return float(parsed) if parsed is not None else None


# Longest first; among equals, the order of QUALIFIER_WORDS (stable sort).
_QUALIFIERS_LONGEST_FIRST = sorted(
    ((kind, w) for kind, words in QUALIFIER_WORDS.items() for w in words),
    key=lambda kw: -len(kw[1]),
)


def qualifier_of(prefix: str) -> tuple[str, str] | None:
    """The qualifier that ends `prefix` ("... put it at more than"), as (kind, words).

    The longest that ends it on a word boundary: "no more than", not "more than".
    Plain suffix tests, not a regex per word: it runs for every number of every
    candidate sentence.
    """
    text = prefix.lower().rstrip()
    for kind, w in _QUALIFIERS_LONGEST_FIRST:
        if text.endswith(w):
            before = text[: -len(w)][-1:]
            if not before or not (before.isalnum() or before == "_"):
                return kind, w
    return None


def parse_quantity(text: str) -> Quantity | None:
    """Parse a figure phrase: qualifier + number, or a range, or a vague plural.

    >>> parse_quantity("more than 10,000").low
    10000.0
    """
    raw = " ".join(text.replace("\u00a0", " ").split())
    low_text = raw.lower()
    for vague, (lo, hi) in sorted(VAGUE.items(), key=lambda kv: -len(kv[0])):
        if low_text == vague or low_text.endswith(" " + vague):
            return Quantity(value=None, low=lo, high=hi, qualifier="vague")
    unit = "USD" if "$" in raw else ("EUR" if "€" in raw else ("GBP" if "£" in raw else None))
    if re.search(r"%|\bper ?cent\b", low_text):
        unit = "percent"
    body = re.sub(r"%|\bper ?cent\b", " ", low_text).strip()
    qualifier = "exact"
    # Range: "between 1,000 and 3,000", "1,000 to 1,100", "$8 billion to $10 billion"
    range_match = re.fullmatch(
        rf"(?:between|from)?\s*(?P<a>.+?){_RANGE_SEP}(?P<b>[$€£]?\s*(?:{_DIGITS}|[a-z-]+)"
        rf"(?:\s*(?:hundred|thousand|million|billion|trillion|bn|mn))?)",
        body,
    )
    if range_match and not qualifier_of_prefix(body):
        a_text, b_text = range_match.group("a"), range_match.group("b")
        b = number_value(b_text)
        a = number_value(a_text)
        scale = re.search(r"(hundred|thousand|million|billion|trillion)\s*$", b_text)
        if a is not None and scale and not re.search(r"[a-z]\s*$", a_text.strip()):
            a *= SCALE[scale.group(1)]  # "8 to 10 billion"
        if a is not None and b is not None and a < b:
            return Quantity(value=None, low=a, high=b, qualifier="range", unit=unit)
    qual = qualifier_of_prefix(body)
    if qual:
        qualifier = qual[1]
        body = body[len(qual[1]) :].strip()
        inner = parse_quantity(body)
        if inner is not None and inner.qualifier == "range":
            return replace(inner, unit=inner.unit or unit)
    suffix = re.search(r"\s*(?:or so|-odd|odd|plus|\+)$", body)
    if suffix:
        qualifier = "about" if "so" in suffix.group(0) or "odd" in suffix.group(0) else "more than"
        body = body[: suffix.start()].strip()
    value = number_value(body)
    if value is None:
        return None
    kind = qualifier_kind(qualifier)
    if kind == "low":
        return Quantity(value=None, low=value, high=None, qualifier=qualifier, unit=unit)
    if kind == "high":
        return Quantity(value=None, low=None, high=value, qualifier=qualifier, unit=unit)
    return Quantity(value=value, qualifier=qualifier, unit=unit)


def qualifier_kind(qualifier: str) -> str:
    """ "low" (a floor), "high" (a ceiling), "about", "range", "vague" or "exact"."""
    for kind, words in QUALIFIER_WORDS.items():
        if qualifier in words:
            return kind
    return (
        qualifier
        if qualifier in {"range", "vague", "low", "high"}
        else ("exact" if qualifier == "exact" else "about")
    )


def qualifier_of_prefix(text: str) -> tuple[str, str] | None:
    """The qualifier that starts `text` ("nearly 3,000" -> ("high", "nearly"))."""
    best: tuple[str, str] | None = None
    for kind, words in QUALIFIER_WORDS.items():
        for w in words:
            if (text == w or text.startswith(w + " ")) and (best is None or len(w) > len(best[1])):
                best = (kind, w)
    return best


def rounding_step(x: float) -> float:
    """The precision a figure is stated to: 14,100 -> 100, 10,000 -> 10,000, 36 -> 1."""
    if x <= 0 or not float(x).is_integer():
        return 1.0
    n, step = int(x), 1
    while n % 10 == 0 and n >= 10:
        n, step = n // 10, step * 10
    return float(step)


def admitted_interval(q: Quantity) -> tuple[float, float]:
    """The true values a wording admits.

    "more than X" in reporting means a little more than X, not anything above it:
    about one and a half steps of the precision X is given to, and at most a
    quarter more. So "more than 14,100" does not cover 14,800, a later "more than
    2,200" updates an earlier "upwards of 1,700", yet "more than 10,000" still
    agrees with "about 12,000".
    """
    kind = qualifier_kind(q.qualifier)
    if kind in {"range", "vague"} and q.low is not None and q.high is not None:
        return (q.low, q.high)
    if kind == "low" and q.low is not None:
        slack = min(1.5 * rounding_step(q.low), 0.25 * q.low)
        return (q.low, q.low + max(slack, 1.0))
    if kind == "high" and q.high is not None:
        slack = min(1.5 * rounding_step(q.high), 0.15 * q.high)
        return (q.high - max(slack, 1.0), q.high)
    if q.value is None:
        lo = q.low if q.low is not None else q.high
        hi = q.high if q.high is not None else q.low
        return (lo or 0.0, hi or 0.0)
    if kind == "about":
        spread = max(min(rounding_step(q.value), 0.07 * q.value), 1.0)
        return (q.value - spread, q.value + spread)
    return (q.value, q.value)


def compatible(a: Quantity, b: Quantity) -> bool:
    """Whether one true value could be described by both wordings."""
    a_lo, a_hi = admitted_interval(a)
    b_lo, b_hi = admitted_interval(b)
    eps = 1e-9 * max(1.0, abs(a_hi), abs(b_hi))
    return a_lo <= b_hi + eps and b_lo <= a_hi + eps


def _fmt(n: float | None) -> str:
    if n is None:
        return "?"
    if abs(n) >= 1e9 and n % 1e7 == 0:
        return f"{n / 1e9:g} billion"
    if abs(n) >= 1e6 and n % 1e4 == 0:
        return f"{n / 1e6:g} million"
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}".rstrip("0").rstrip(".")


def format_quantity(q: Quantity) -> str:
    """How a figure reads back: "more than 10,000", "between 1,000 and 3,000", "$5.5 billion"."""
    cur = {"USD": "$", "EUR": "€", "GBP": "£"}.get(q.unit or "", "")
    pct = "%" if q.unit == "percent" else ""

    def n(x: float | None) -> str:
        return f"{cur}{_fmt(x)}{pct}"

    kind = qualifier_kind(q.qualifier)
    if kind in {"range", "vague"}:
        return f"between {n(q.low)} and {n(q.high)}"
    words = "" if kind == "exact" else q.qualifier + " "
    if kind == "low":
        return f"{words}{n(q.low)}"
    if kind == "high":
        return f"{words}{n(q.high)}"
    return f"{words}{n(q.value)}"
