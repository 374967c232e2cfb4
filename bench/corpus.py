"""Realistic benchmark articles: the seed and dev stories, recombined into many distinct stories.

Each synthetic story takes one real story folder and rewrites it consistently:
every name (a word capitalised inside a sentence) becomes a generated name, every
figure is scaled by the story's own factor, and the dates move to the story's
own start. Articles of one synthetic story therefore group together and agree or
disagree exactly as the originals did, while different synthetic stories share
neither names nor figures, so stories and claims are many and distinct.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.model import Article
from bot.replay import load_story
from bot.stories import STOP_WORDS

ROOT = Path(__file__).resolve().parent.parent

_MID_CAP = re.compile(r"(?<=[a-z0-9,;:] )([A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?)\b")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?![\w]|[.,]\d)")
_MONTH_BEFORE = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+$", re.I
)
_SYLLABLES = [
    "ka", "lo", "ve", "ran", "tis", "mor", "quel", "dan", "bri", "sol", "vek", "ta",
    "mi", "nor", "ul", "zen", "har", "pe", "lis", "gor", "am", "eth", "ri", "os",
]  # fmt: skip


@dataclass(frozen=True)
class BaseStory:
    """One real story folder: its articles in arrival order and the names it uses."""

    name: str
    articles: list[Article]
    names: list[str]


def story_folders() -> list[Path]:
    return [ROOT / "seeds", *sorted(p for p in (ROOT / "tests/data/dev").iterdir() if p.is_dir())]


def load_base() -> list[BaseStory]:
    """The real stories, each with the names its text capitalises mid-sentence."""
    stories = []
    for folder in story_folders():
        articles = load_story(folder)
        found: set[str] = set()
        for a in articles:
            found.update(_MID_CAP.findall(a.text))
        names = sorted(n for n in found if n.lower() not in STOP_WORDS)
        stories.append(BaseStory(folder.name, articles, names))
    return stories


def generated_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _scale_numbers(text: str, factor: float) -> str:
    def swap(m: re.Match[str]) -> str:
        raw = m.group(1)
        value = int(raw.replace(",", ""))
        before = text[max(0, m.start() - 12) : m.start()]
        if 1900 <= value <= 2100 and "," not in raw:  # a year
            return raw
        if value <= 31 and _MONTH_BEFORE.search(before):  # a day of the month
            return raw
        if value <= 12:  # small counts ("two", "3 people") stay as written
            return raw
        scaled = max(13, round(value * factor))
        return f"{scaled:,}" if "," in raw else str(scaled)

    return _NUMBER.sub(swap, text)


class Recombiner:
    """Makes synthetic story number `k` from base story `k % len(base)`, reproducibly."""

    def __init__(self, base: list[BaseStory], seed: int = 6) -> None:
        self.base = base
        self.seed = seed

    def mapping(self, k: int) -> tuple[BaseStory, dict[str, str], float]:
        story = self.base[k % len(self.base)]
        rng = random.Random(self.seed * 1_000_003 + k)
        names = {n: generated_name(rng) for n in story.names}
        return story, names, rng.uniform(0.3, 3.0)

    def story(self, k: int, start: datetime, key_prefix: str = "bench") -> list[Article]:
        """Synthetic story `k`'s articles, the first published at `start`."""
        story, names, factor = self.mapping(k)
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
        first = min(a.published for a in story.articles)

        def rewrite(s: str) -> str:
            s = pattern.sub(lambda m: names[m.group(1)], s) if pattern else s
            return _scale_numbers(s, factor)

        out = []
        for i, a in enumerate(story.articles):
            key = f"{key_prefix}/{k}/{i}"
            out.append(
                replace(
                    a,
                    key=key,
                    url=None,
                    guid=None,
                    title=rewrite(a.title),
                    text=rewrite(a.text),
                    published=start + (a.published - first),
                    outlet=rewrite(a.outlet) if a.outlet else None,
                )
            )
        return out

    def articles(self, n: int, start: datetime, first_story: int = 0) -> list[Article]:
        """`n` articles, whole synthetic stories in arrival order, stories an hour apart."""
        out: list[Article] = []
        k = first_story
        while len(out) < n:
            out.extend(self.story(k, start + timedelta(hours=k - first_story)))
            k += 1
        return out[:n]
