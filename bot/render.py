"""Platform-neutral views of alerts and claims, which each adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.model import Alert


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


def alert_view(alert: Alert) -> AlertView:
    """Build the neutral view of an alert (implemented with the core engine)."""
    raise NotImplementedError
