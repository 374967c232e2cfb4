"""Platform-neutral views of alerts and claims, which each adapter renders its own way.

An adapter never formats a number or decides a headline: it lays out an
`AlertView` as blocks, an embed or terminal text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.model import Alert, AlertKind, Claim, ClaimKind, Metric, Quantity

# {article key: (outlet, url)}: what the store knows about where a claim was read
ArticleRefs = Mapping[str, tuple[str | None, str | None]]


@dataclass(frozen=True)
class ClaimSide:
    """One side of an alert: the figure or status, who said it, when, where."""

    figure: str  # "nearly 3,000" / "dead"
    source: str  # "Volodymyr Zelensky" (or the outlet when unattributed)
    date: str  # ISO date the claim holds for
    quote: str  # the sentence it came from
    article: str  # article key (file name or URL)
    link: str | None  # URL when the article has one


@dataclass(frozen=True)
class AlertView:
    kind: str  # "contradiction" | "figure_update" | "status_update"
    headline: str  # "Captured: now 2 (was 1)"
    metric: str
    old: ClaimSide
    new: ClaimSide
    thread_key: str  # story + metric: later alerts about it go in the same thread
    alert_id: int | None = None
    links: list[str] = field(default_factory=list)

    @property
    def fallback_text(self) -> str:
        """Plain text for notifications and clients that show no rich layout."""
        return (
            f"{self.headline}\n"
            f"was: {self.old.figure} ({self.old.source}, {self.old.date})\n"
            f"now: {self.new.figure} ({self.new.source}, {self.new.date})"
        )


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def format_quantity(q: Quantity) -> str:
    """A figure as a reader would say it: "nearly 3,000", "between 1,000 and 3,000"."""
    try:  # the core's own formatter, when it has one
        from bot.numbers import format_quantity as core_format  # type: ignore[attr-defined]
    except ImportError:
        core_format = None
    if core_format is not None:
        return core_format(q)
    qualifier = (q.qualifier or "exact").strip()
    if q.value is None and q.low is not None and q.high is not None:
        text = f"between {_number(q.low)} and {_number(q.high)}"
    else:
        x = q.value if q.value is not None else (q.high if q.high is not None else q.low)
        text = _number(x) if x is not None else "?"
        if qualifier and qualifier not in ("exact", "range"):
            text = f"{qualifier} {text}"
        elif q.value is None and q.low is not None:
            text = f"at least {text}"
        elif q.value is None and q.high is not None:
            text = f"at most {text}"
    return f"{text} {q.unit}" if q.unit else text


def figure_text(claim: Claim) -> str:
    """The figure or status a claim states."""
    if claim.kind == ClaimKind.FIGURE and claim.quantity is not None:
        return format_quantity(claim.quantity)
    return claim.status or "?"


def link_of(claim: Claim, refs: ArticleRefs | None = None) -> str | None:
    """The article's URL: its key when the key is one, else the stored URL."""
    if claim.article_key.startswith(("http://", "https://")):
        return claim.article_key
    return (refs or {}).get(claim.article_key, (None, None))[1]


def source_of(claim: Claim, refs: ArticleRefs | None = None) -> str:
    """Who said it: the attributed source, else the outlet, else the article."""
    if claim.source:
        return claim.source
    outlet = (refs or {}).get(claim.article_key, (None, None))[0]
    return outlet or "unattributed"


def claim_side(claim: Claim, refs: ArticleRefs | None = None) -> ClaimSide:
    return ClaimSide(
        figure=figure_text(claim),
        source=source_of(claim, refs),
        date=claim.as_of.isoformat(),
        quote=claim.sentence.strip(),
        article=claim.article_key,
        link=link_of(claim, refs),
    )


def subject(metric: Metric) -> str:
    """Who or what a status is about: "the North Korean soldier" for a count of one."""
    group = f"{metric.group.title()} " if metric.group else ""
    if metric.scope and metric.scope.strip() == "count 1":
        entity = metric.entity[:-1] if metric.entity.endswith("s") else metric.entity
        return f"the {group}{entity}"
    scope = f" ({metric.scope})" if metric.scope else ""
    return f"{group}{metric.entity}{scope}"


def metric_name(metric: Metric) -> str:
    """A metric as people read it; status metrics are named after whom they are about."""
    if metric.predicate == "status":
        return _cap(subject(metric))
    return metric.label


def thread_key(alert: Alert) -> str:
    """Story + metric: contradictions and updates of one figure share a thread."""
    return f"{alert.story_id}:{alert.metric.label}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def headline(alert: Alert, refs: ArticleRefs | None = None) -> str:
    """One line saying what changed."""
    m = alert.metric
    label = subject(m) if m.predicate == "status" else m.label
    old, new = figure_text(alert.old), figure_text(alert.new)
    if alert.kind == AlertKind.CONTRADICTION:
        return (
            f"Sources disagree on {label}: {source_of(alert.new, refs)} says {new}, "
            f"{source_of(alert.old, refs)} said {old}"
        )
    if alert.kind == AlertKind.STATUS_UPDATE:
        return f"Status: {label} is now {new} (was {old})"
    return f"{_cap(label)}: now {new} (was {old})"


def alert_view(alert: Alert, refs: ArticleRefs | None = None) -> AlertView:
    """Build the neutral view of an alert.

    `refs` ({article key: (outlet, url)}, from `tx.article_refs`) supplies the
    outlet for unattributed claims and links for articles read from files.
    """
    old, new = claim_side(alert.old, refs), claim_side(alert.new, refs)
    links = [x for x in dict.fromkeys([new.link, old.link]) if x]
    return AlertView(
        kind=alert.kind.value,
        headline=headline(alert, refs),
        metric=metric_name(alert.metric),
        old=old,
        new=new,
        thread_key=thread_key(alert),
        alert_id=alert.id,
        links=links,
    )
