"""The number and qualifier grammar, and what range each wording admits."""

from __future__ import annotations

import pytest

from bot.numbers import compatible, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "qualifier"),
    [
        ("12,000", 12000, None, None, "exact"),
        ("around 12,000", 12000, None, None, "around"),
        ("approximately 12,000", 12000, None, None, "approximately"),
        ("more than 10,000", None, 10000, None, "more than"),
        ("greater than 11,000", None, 11000, None, "greater than"),
        ("upwards of 1,700", None, 1700, None, "upwards of"),
        ("at least 36", None, 36, None, "at least"),
        ("at the very least 115", None, 115, None, "at the very least"),
        ("nearly 3,000", None, None, 3000, "nearly"),
        ("fewer than 50", None, None, 50, "fewer than"),
        ("between 1,000 and 3,000", None, 1000, 3000, "range"),
        ("between 1000 and 3000", None, 1000, 3000, "range"),
        ("roughly 1,000 to 1,100", None, 1000, 1100, "range"),
        ("two", 2, None, None, "exact"),
        ("Eighty-nine", 89, None, None, "exact"),
        ("1,100", 1100, None, None, "exact"),
        ("1100", 1100, None, None, "exact"),
        ("$5.5 billion", 5_500_000_000, None, None, "exact"),
        ("hundreds", None, 200, 999, "vague"),
    ],
)
def test_figure_phrases_parse_to_numbers_and_qualifiers(text, value, low, high, qualifier):
    q = parse_quantity(text)
    assert q is not None
    assert (q.value, q.low, q.high, q.qualifier) == (value, low, high, qualifier)


def test_money_and_percent_carry_their_unit():
    assert parse_quantity("$8 billion to $10 billion").unit == "USD"
    assert parse_quantity("$8 billion to $10 billion").low == 8_000_000_000
    assert parse_quantity("85%").unit == "percent"


def test_words_that_are_not_numbers_do_not_parse():
    assert parse_quantity("several") is None
    assert parse_quantity("more than") is None


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("more than 10,000", "approximately 12,000", True),  # refined, not contradicted
        ("around 12,000", "more than 11,000", True),
        ("over 3,000", "nearly 3,000", True),  # they meet at 3,000
        ("more than 170", "about 171", True),
        ("more than 2,100", "2,170", True),
        ("between 1,000 and 3,000", "1,000", True),
        ("1,000", "1,100", False),
        ("upwards of 1,700", "more than 2,200", False),  # a raised floor is news
        ("at least 36", "55", False),
        ("at least 115", "97", False),
        ("1", "2", False),
    ],
)
def test_compatibility_is_overlap_of_admitted_ranges(a, b, agree):
    assert compatible(parse_quantity(a), parse_quantity(b)) is agree
    assert compatible(parse_quantity(b), parse_quantity(a)) is agree


def test_figures_read_back_as_written():
    assert format_quantity(parse_quantity("nearly 3,000")) == "nearly 3,000"
    assert format_quantity(parse_quantity("between 1000 and 3000")) == "between 1,000 and 3,000"
    assert format_quantity(parse_quantity("$5.5 billion")) == "$5.5 billion"
    assert format_quantity(parse_quantity("two")) == "2"


def test_the_slack_after_a_floor_follows_the_precision_it_is_given_to():
    assert not compatible(parse_quantity("more than 14,100"), parse_quantity("14,800"))
    assert not compatible(parse_quantity("more than 14,800"), parse_quantity("more than 15,000"))
    assert compatible(parse_quantity("more than 10,000"), parse_quantity("about 12,000"))
    assert not compatible(parse_quantity("more than 1,000"), parse_quantity("2,103"))
