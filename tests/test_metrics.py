"""Queries find metrics by meaning: "casualties" finds killed-or-wounded figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.metrics import matches_claim, matches_query
from bot.model import Claim, ClaimKind, Metric

KILLED_OR_WOUNDED = Metric("killed or wounded", "soldiers", "north korean")
DEPLOYED = Metric("deployed", "soldiers", "north korean")
CAPTURED = Metric("captured", "soldiers", "north korean")
DEAD = Metric("dead", "people")
BUILDINGS = Metric("destroyed", "buildings")


def test_casualties_means_killed_or_wounded_and_deaths():
    assert matches_query(KILLED_OR_WOUNDED, "casualties")
    assert matches_query(DEAD, "casualties")
    assert not matches_query(DEPLOYED, "casualties")
    assert not matches_query(BUILDINGS, "casualties")


def test_troops_means_deployed_troops_not_every_figure_about_soldiers():
    assert matches_query(DEPLOYED, "troops")
    assert not matches_query(KILLED_OR_WOUNDED, "troops")


def test_prisoners_and_captured_find_the_captured_count():
    assert matches_query(CAPTURED, "prisoners")
    assert matches_query(CAPTURED, "captured")
    assert not matches_query(DEAD, "prisoners")


def test_words_of_the_label_and_entities_match_too():
    assert matches_query(BUILDINGS, "buildings destroyed")
    assert matches_query(KILLED_OR_WOUNDED, "north korean casualties")
    assert not matches_query(KILLED_OR_WOUNDED, "russian casualties")
    assert not matches_query(DEAD, "")


def test_a_count_of_two_kinds_answers_either():
    mixed = Metric("captured", "students and workers")
    assert matches_query(mixed, "pupils")
    assert matches_query(mixed, "staff")
    assert not matches_query(mixed, "children")


def test_a_captured_entity_that_died_answers_captured():
    when = datetime(2024, 12, 27, tzinfo=UTC)
    died = Claim(
        ClaimKind.STATUS,
        Metric("status", "soldiers", None, "count 1"),
        "He died.",
        "a.txt",
        when,
        date(2024, 12, 27),
        0,
        status="dead",
    )
    assert matches_claim(died, "captured")
    assert matches_claim(died, "prisoners")
    assert not matches_claim(died, "missing")
