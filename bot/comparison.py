"""Comparison: which of a new article's claims change what the story already knew.

The rules, in order:
- Claims compare only within one story and one metric (same event, compatible
  entity and group, same scope: "per week" never meets a total).
- An article published before the latest one already known on a metric is stale:
  it can add history, never an alert.
- Compatible figures ("more than 10,000" and "about 12,000") are agreement.
- A source that changes its own figure makes a `figure_update`; a new source whose
  figure fits none of the current ones makes a `contradiction`, or a
  `figure_update` when it reports the tally moving on (later and higher, or with
  words of change: "rose", "revised", "now").
- A status moving to a later stage (captured -> dead; missing -> found) makes a
  `status_update`; a report of an earlier stage is old news or another entity. A
  group counted at one stage and then at the next ("six workers missing" -> "six
  presumed dead" -> "bodies of two recovered") is a `status_update` too.
- Figures that hold for a day weeks before the article (background) never alert.
- One fact, one alert: at most one alert per metric or entity per article, and one
  status alert per sentence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.lexicon import PERSON_CLASSES, STATUS_STAGE
from bot.model import AlertKind, Claim, ClaimKind, ClaimStatus, Metric, Quantity
from bot.numbers import admitted_interval, compatible, qualifier_kind
from bot.sources_named import same_source

_CHANGE_WORDS = re.compile(
    r"\b(?:rose|rise[sn]?|rising|rais(?:e|es|ed|ing)|climb(?:s|ed|ing)?|jump(?:s|ed)?|increas\w*|"
    r"grew|grow(?:s|n)?|swell\w*|revis\w*|lower(?:s|ed)?|cut|cuts|drop(?:s|ped)?|fell|fall(?:s|en)?|"
    r"decreas\w*|reduc\w*|now|updated?|up from|down from|reach(?:es|ed)?|hit|hits|topp?(?:s|ed)?)\b",
    re.I,
)


# Words that mark a running total rather than one batch ("a total of 150 freed"),
# strong ones first: "since the truce ended" can also start a new count.
_TOTAL_STRONG = re.compile(
    r"\b(?:total|so far|in all|altogether|to date|overall|cumulative)\b", re.I
)
_TOTAL_WEAK = re.compile(r"\b(?:bringing|since the|until now|now)\b", re.I)


def _total_cue(sentence: str) -> int:
    return 2 if _TOTAL_STRONG.search(sentence) else 1 if _TOTAL_WEAK.search(sentence) else 0


@dataclass(frozen=True)
class Finding:
    """A change worth an alert: the known claim and the new one."""

    kind: AlertKind
    old: Claim
    new: Claim


def same_metric(a: Metric, b: Metric) -> bool:
    if a.predicate != b.predicate or a.scope != b.scope:
        return False
    if a.entity != b.entity and not (
        {a.entity, b.entity} & {"people"} and {a.entity, b.entity} <= PERSON_CLASSES
    ):
        return False
    return a.group is None or b.group is None or a.group == b.group


def _latest(claims: Iterable[Claim]) -> Claim:
    return max(
        claims,
        key=lambda c: (c.published, c.standing == ClaimStatus.CURRENT, c.as_of, -c.position),
    )


def _representatives(claims: list[Claim]) -> list[Claim]:
    """The article's own current figure per metric and source (restatements folded).

    The first current mention speaks for the article: leads and headlines carry the
    running total, later sentences its parts and its history.
    """
    ordered = sorted(claims, key=lambda c: (c.standing != ClaimStatus.CURRENT, c.position))
    reps: list[Claim] = []
    for c in ordered:
        if any(
            same_metric(r.metric, c.metric)
            and (same_source(r.source_key, c.source_key) or r.source_key == c.source_key)
            for r in reps
        ):
            continue
        reps.append(c)
    return sorted(reps, key=lambda c: c.position)


def settle_standing(claims: list[Claim]) -> list[Claim]:
    """Mark each figure the article's current one for its metric and source, or historical.

    Restatements and earlier values ("up from 53") are kept as history; only the
    current figure of each source speaks for the article in later comparisons.
    """
    figures = [
        c for c in claims if c.kind == ClaimKind.FIGURE and c.standing != ClaimStatus.BACKGROUND
    ]
    current = {id(c) for c in _representatives(figures)}
    return [
        c
        if c.kind != ClaimKind.FIGURE or c.standing == ClaimStatus.BACKGROUND
        else replace(
            c, standing=ClaimStatus.CURRENT if id(c) in current else ClaimStatus.HISTORICAL
        )
        for c in claims
    ]


def _stale(claim: Claim, prior: list[Claim]) -> bool:
    return claim.published.date() < max(k.published for k in prior).date()


def _distance(a: Claim, b: Claim) -> float:
    """How far apart two figures are, in orders of magnitude."""
    assert a.quantity is not None and b.quantity is not None
    lo_a, hi_a = admitted_interval(a.quantity)
    lo_b, hi_b = admitted_interval(b.quantity)
    return abs(math.log10(max((lo_a + hi_a) / 2, 0.5)) - math.log10(max((lo_b + hi_b) / 2, 0.5)))


def _agrees(known: Claim, new: Claim) -> bool:
    """Whether `new` restates `known`.

    Two floors given on different days agree only when they are the same floor:
    "more than 9,000 missing" then "more than 8,000" a week later is a revision,
    though one true value could satisfy both.
    """
    assert known.quantity is not None and new.quantity is not None
    if (
        qualifier_kind(known.quantity.qualifier) == "low"
        and qualifier_kind(new.quantity.qualifier) == "low"
        and known.published.date() != new.published.date()
        and known.quantity.low is not None
        and new.quantity.low is not None
    ):
        return known.quantity.low == new.quantity.low
    return compatible(known.quantity, new.quantity)


def _same_numbers(a: Quantity, b: Quantity) -> bool:
    return (a.value, a.low, a.high) == (b.value, b.low, b.high)


def _running_totals(known: list[Claim]) -> list[Claim]:
    return [
        k
        for k in known
        if k.quantity is not None
        and k.standing == ClaimStatus.CURRENT
        and _total_cue(k.sentence) == 2
    ]


def _is_batch(c: Claim, totals: list[Claim]) -> bool:
    """Whether `c` counts one batch below a running total already known ("a total of
    78 prisoners have been released", then "Israel freed 33 prisoners"): a total told
    as such does not shrink unless the new figure says it changed."""
    if not totals or c.quantity is None:
        return False
    if _total_cue(c.sentence) == 2 or _CHANGE_WORDS.search(c.sentence):
        return False
    high = admitted_interval(c.quantity)[1]
    return any(
        k.published < c.published and high < admitted_interval(k.quantity)[0]
        for k in totals
        if k.quantity is not None
    )


def _superseded(c: Claim, frontier: list[Claim], article: list[Claim]) -> Finding | None:
    """A figure that fits the known one is still a revision where its own source, in
    the same article, gives the known figure as its earlier one ("OCHA had put the
    number of missing at 10,100" beside its "more than 9,000" now)."""
    for k in frontier:  # none of them has c's very numbers: the caller checked
        if k.quantity is not None and any(
            h.quantity is not None
            and same_metric(h.metric, c.metric)
            and same_source(h.source_key, c.source_key)
            and h.as_of < c.as_of
            and _same_numbers(h.quantity, k.quantity)
            for h in article
        ):
            return Finding(AlertKind.FIGURE_UPDATE, k, c)
    return None


def _judge_figure(c: Claim, prior: list[Claim], article: list[Claim]) -> Finding | None:
    assert c.quantity is not None
    totals = _running_totals(prior)
    if _is_batch(c, totals):
        return None
    prior = [k for k in prior if not _is_batch(k, totals)]
    latest_day = max(k.published for k in prior).date()
    frontier = [
        k
        for k in prior
        if k.standing == ClaimStatus.CURRENT and (latest_day - k.published.date()).days <= 1
    ]
    # A figure already known is not news: one that fits a current figure, or the very
    # numbers of an older one restated.
    if any(k.quantity is not None and _same_numbers(k.quantity, c.quantity) for k in prior):
        return None
    if any(k.quantity is not None and _agrees(k, c) for k in frontier):
        return _superseded(c, frontier, article)
    if not frontier:
        return None  # only history is known (background figures, earlier values)
    own = [k for k in frontier if same_source(k.source_key, c.source_key)]
    if own:  # the source revises its own figure
        return Finding(AlertKind.FIGURE_UPDATE, _latest(own), c)
    # What a new figure revises is the current figure nearest to it, not a rival
    # figure of another scale that the parse could not tell apart.
    ref = min(
        frontier,
        key=lambda k: (
            _distance(k, c),
            -k.as_of.toordinal(),
            -k.published.timestamp(),
            k.position,
        ),
    )
    same_time = c.published.date() == ref.published.date()
    if same_time and not _CHANGE_WORDS.search(c.sentence):
        return Finding(AlertKind.CONTRADICTION, ref, c)
    return Finding(AlertKind.FIGURE_UPDATE, ref, c)


# A group counted at one stage and then at the next: "six workers missing" -> "six
# workers presumed dead" -> "bodies of two workers recovered". A change of state told
# as figures: the later stage counts some or all of the earlier one.
_EARLIER_STAGES = {
    "presumed dead": ("missing",),
    "dead": ("presumed dead", "missing"),
    "rescued": ("missing", "trapped"),
    "released": ("captured",),
}


def _transition(c: Claim, known: list[Claim]) -> Finding | None:
    q = c.quantity
    stages = _EARLIER_STAGES.get(c.metric.predicate, ())
    if not stages or q is None or q.value is None or q.qualifier != "exact":
        return None
    if any(k.kind == ClaimKind.FIGURE and same_metric(k.metric, c.metric) for k in known):
        return None  # this stage is already being counted: ordinary comparison applies
    for before in stages:
        earlier = replace(c.metric, predicate=before)
        prior = [
            k
            for k in known
            if k.kind == ClaimKind.FIGURE
            and k.standing == ClaimStatus.CURRENT
            and same_metric(k.metric, earlier)
        ]
        if not prior or _stale(c, prior):
            continue
        ref = _latest(prior)
        if (
            ref.quantity is not None
            and ref.quantity.value is not None
            and (q.value <= ref.quantity.value)
        ):
            return Finding(AlertKind.STATUS_UPDATE, ref, c)
    return None


def predicates_to_load(new: list[Claim]) -> set[str]:
    """The events whose known figures comparing `new` needs (its own and earlier stages)."""
    own = {c.metric.predicate for c in new if c.kind == ClaimKind.FIGURE}
    return own | {stage for p in own for stage in _EARLIER_STAGES.get(p, ())}


def compare_figures(new: list[Claim], known: list[Claim]) -> list[Finding]:
    findings: list[Finding] = []
    done: list[Metric] = []
    figures = [
        c
        for c in new
        if c.kind == ClaimKind.FIGURE
        and c.quantity is not None
        and c.standing != ClaimStatus.BACKGROUND
    ]
    reps = _representatives(figures)
    for c in reps:
        if any(same_metric(m, c.metric) for m in done):
            continue
        if any(
            same_metric(r.metric, c.metric) and _total_cue(r.sentence) > _total_cue(c.sentence)
            for r in reps
        ):
            continue  # the article gives a running total too: that is the tally, not a batch
        moved = _transition(c, known)
        if moved:
            findings.append(moved)
            done.append(c.metric)
            continue
        prior = [k for k in known if k.kind == ClaimKind.FIGURE and same_metric(k.metric, c.metric)]
        if not prior or _stale(c, prior):
            continue
        finding = _judge_figure(c, prior, figures)
        if finding:
            findings.append(finding)
            done.append(c.metric)
    findings.extend(_rivals(reps, known, findings))
    return findings


def _rivals(reps: list[Claim], known: list[Claim], found: list[Finding]) -> list[Finding]:
    """Two named sources side by side in one article giving figures that cannot both
    hold ("the ministry said more than 5,300 had died; the ambulance centre had
    recorded 2,300"): a contradiction, besides whatever the article changes.

    Only on a metric the story already tracks, in an article that is not stale, at
    most one per metric, and only when the second source has not said so before. The
    rival answers the article's lead figure, within three paragraphs of it: a figure
    far down the page is more often another story's (a teaser) or a partial count.
    """
    findings: list[Finding] = []
    alerted = {id(f.new) for f in found}
    named = [
        c
        for c in reps
        if c.source
        and c.standing == ClaimStatus.CURRENT
        and c.metric.scope is None
        and c.quantity is not None
    ]
    for i, first in enumerate(named):
        if any(same_metric(k.metric, first.metric) for k in named[:i]):
            continue  # the article's lead figure on a metric is the one rivals answer
        for second in named[i + 1 :]:
            assert first.quantity is not None and second.quantity is not None
            if (
                not same_metric(first.metric, second.metric)
                or same_source(first.source_key, second.source_key)
                or first.source_key == second.source_key
                or first.as_of != second.as_of
                or compatible(first.quantity, second.quantity)
                or bool(_TOTAL_STRONG.search(first.sentence))
                != bool(_TOTAL_STRONG.search(second.sentence))  # a total and a batch
                or _CHANGE_WORDS.search(second.sentence)
            ):
                continue
            if id(second) in alerted or second.position - first.position > 300:
                continue
            prior = [
                k
                for k in known
                if k.kind == ClaimKind.FIGURE
                and k.quantity is not None
                and same_metric(k.metric, second.metric)
            ]
            if (
                not prior
                or _stale(second, prior)
                or any(
                    compatible(k.quantity, second.quantity)
                    for k in prior
                    if k.quantity and same_source(k.source_key, second.source_key)
                )
            ):
                continue
            findings.append(Finding(AlertKind.CONTRADICTION, first, second))
            break
    return findings


def _stage(status: str | None) -> float:
    return STATUS_STAGE.get(status or "", -1)


def compare_statuses(new: list[Claim], known: list[Claim]) -> list[Finding]:
    findings: list[Finding] = []
    done: list[Metric] = []
    statuses = [c for c in new if c.kind == ClaimKind.STATUS]
    for c in sorted(statuses, key=lambda c: (-_stage(c.status), c.position)):
        if any(same_metric(m, c.metric) for m in done):
            continue
        prior = [k for k in known if k.kind == ClaimKind.STATUS and same_metric(k.metric, c.metric)]
        if not prior or _stale(c, prior):
            continue
        top = max(_stage(k.status) for k in prior)
        if _stage(c.status) > top:
            old = _latest(k for k in prior if _stage(k.status) == top)
            findings.append(Finding(AlertKind.STATUS_UPDATE, old, c))
        done.append(c.metric)
    return findings


def _fold_single_places(
    new: list[Claim], known: list[Claim]
) -> tuple[list[Claim], list[Claim], dict[int, Claim]]:
    """A place scope ("in derna") means a part only where the story counts another
    place too: with one place, "died in Derna" and "died" are the same tally. Returns
    the claims with such scopes dropped, and the originals by the copies' identity."""
    counts: dict[str, Counter[str]] = {}
    for c in [*known, *new]:
        if c.metric.scope and c.metric.scope.startswith("in "):
            counts.setdefault(c.metric.predicate, Counter())[c.metric.scope] += 1
    own: dict[str, str] = {}  # predicate -> the story's one place for it
    for predicate, by_place in counts.items():
        total = sum(by_place.values())
        # a place named once or twice beside the story's own ("15 died in Greece" in a
        # Libya story) does not make the story's own place a part
        major = [p for p, n in by_place.items() if len(by_place) == 1 or n >= max(2, total / 4)]
        if len(major) == 1:
            own[predicate] = major[0]
    originals: dict[int, Claim] = {}

    def fold(c: Claim) -> Claim:
        if own.get(c.metric.predicate) != c.metric.scope:
            return c
        copy = replace(c, metric=replace(c.metric, scope=None))
        originals[id(copy)] = c
        return copy

    return [fold(c) for c in new], [fold(c) for c in known], originals


def compare(new: list[Claim], known: list[Claim]) -> list[Finding]:
    """Everything in `new` (one article's claims) that changes what `known` held."""
    new, known, originals = _fold_single_places(new, known)
    return [
        Finding(f.kind, originals.get(id(f.old), f.old), originals.get(id(f.new), f.new))
        for f in _compare(new, known)
    ]


def _compare(new: list[Claim], known: list[Claim]) -> list[Finding]:
    figures = compare_figures(new, known)
    # a group's change of state already told by its figures is not told again
    told = {
        (f.new.metric.entity, f"count {f.new.quantity.value:g}")
        for f in figures
        if f.kind == AlertKind.STATUS_UPDATE and f.new.quantity is not None
    }
    statuses = [
        f
        for f in compare_statuses(new, known)
        if (f.new.metric.entity, f.new.metric.scope) not in told
    ]
    # One sentence telling of one event ("debris found ... all five aboard died in the
    # implosion") makes one status alert, about the people first.
    changes = sorted(
        (f for f in figures + statuses if f.kind == AlertKind.STATUS_UPDATE),
        key=lambda f: f.new.metric.entity not in PERSON_CLASSES,
    )
    seen_sentences: set[str] = set()
    dropped: set[int] = set()
    for f in changes:
        if f.new.sentence in seen_sentences:
            dropped.add(id(f))
        seen_sentences.add(f.new.sentence)
    return [f for f in figures + statuses if id(f) not in dropped]
