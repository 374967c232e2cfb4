"""The comparison rules, on hand-made claims: what is news, what is agreement, what is stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.comparison import compare, same_metric, settle_standing
from bot.model import AlertKind, Claim, ClaimKind, ClaimStatus, Metric
from bot.numbers import parse_quantity

TOLL = Metric("dead", "people")


def fig(
    text: str,
    day: int,
    source: str | None = None,
    *,
    metric: Metric = TOLL,
    sentence: str = "",
    position: int = 0,
    article: str | None = None,
) -> Claim:
    published = datetime(2023, 8, day, tzinfo=UTC)
    return Claim(
        kind=ClaimKind.FIGURE,
        metric=metric,
        sentence=sentence or f"{text} dead.",
        article_key=article or f"day{day}.txt",
        published=published,
        as_of=published.date(),
        position=position,
        quantity=parse_quantity(text),
        source=source,
        source_key=source,
    )


def status(word: str, day: int, entity: str = "soldiers") -> Claim:
    published = datetime(2024, 12, day, tzinfo=UTC)
    return Claim(
        kind=ClaimKind.STATUS,
        metric=Metric("status", entity, None, "count 1"),
        sentence=f"The soldier is {word}.",
        article_key=f"s{day}.txt",
        published=published,
        as_of=date(2024, 12, day),
        position=0,
        status=word,
    )


def test_a_higher_toll_later_is_a_figure_update_from_the_latest_known():
    [f] = compare([fig("89", 13)], [fig("at least 36", 10), fig("55", 11)])
    assert f.kind == AlertKind.FIGURE_UPDATE
    assert (f.old.quantity.value, f.new.quantity.value) == (55, 89)


def test_compatible_wordings_are_agreement():
    assert compare([fig("about 12,000", 12)], [fig("more than 10,000", 11)]) == []


def test_two_sources_disagreeing_the_same_day_is_a_contradiction():
    [f] = compare([fig("1,000", 27, "country:kr")], [fig("nearly 3,000", 27, "person:zelensky")])
    assert f.kind == AlertKind.CONTRADICTION
    assert f.old.source_key == "person:zelensky"


def test_a_source_revising_its_own_figure_is_an_update_even_beside_a_rival():
    known = [fig("1,000", 27, "country:kr"), fig("nearly 3,000", 27, "person:zelensky")]
    [f] = compare([fig("1,100", 27, "country:kr", article="late.txt")], known)
    assert f.kind == AlertKind.FIGURE_UPDATE
    assert f.old.quantity.value == 1000


def test_an_older_article_arriving_late_is_stale():
    assert compare([fig("67", 12)], [fig("99", 15)]) == []


def test_restating_an_old_figure_is_not_news():
    assert compare([fig("36", 14)], [fig("36", 10), fig("55", 11)]) == []


def test_a_weekly_figure_never_meets_the_total():
    weekly = Metric("dead", "people", None, "per week")
    assert compare([fig("more than 1,000", 14, metric=weekly)], [fig("3,000", 10)]) == []


def test_one_fact_gives_one_alert_per_article():
    new = [
        fig("89", 13, position=0),
        fig("89", 13, "officials", position=5),
        fig("eighty-nine", 13, position=9),
    ]
    assert len(compare(settle_standing(new), [fig("55", 11)])) == 1


def test_a_status_moving_on_is_a_status_update():
    [f] = compare([status("dead", 27)], [status("injured", 26), status("captured", 26)])
    assert f.kind == AlertKind.STATUS_UPDATE
    assert (f.old.status, f.new.status) == ("captured", "dead")


def test_a_status_going_back_is_not_news():
    assert compare([status("captured", 28)], [status("dead", 27)]) == []


def test_entities_of_a_kind_match_the_generic_people():
    assert same_metric(Metric("dead", "people"), Metric("dead", "soldiers", "north korean"))
    assert not same_metric(Metric("dead", "civilians"), Metric("dead", "soldiers"))
    assert not same_metric(
        Metric("dead", "people", "russian"), Metric("dead", "people", "ukrainian")
    )


def test_settling_keeps_one_current_figure_per_source():
    settled = settle_standing(
        [fig("55", 11, "county", position=0), fig("55", 11, "county", position=3)]
    )
    assert [c.standing for c in settled] == [ClaimStatus.CURRENT, ClaimStatus.HISTORICAL]


def test_only_background_known_is_no_basis_for_an_alert():
    old = fig("around 1,200", 10)
    old = Claim(**{**old.__dict__, "standing": ClaimStatus.BACKGROUND})
    assert compare([fig("more than 14,800", 28)], [old]) == []


def test_a_counted_group_moving_to_the_next_stage_is_a_status_update():
    missing = fig("6", 26, metric=Metric("missing", "workers"))
    presumed = fig("6", 27, metric=Metric("presumed dead", "workers"))
    [f] = compare([presumed], [missing])
    assert f.kind == AlertKind.STATUS_UPDATE
    assert (f.old.metric.predicate, f.new.metric.predicate) == ("missing", "presumed dead")


def test_bodies_recovered_from_the_missing_is_a_status_update():
    missing = fig("6", 26, metric=Metric("missing", "workers"))
    dead = fig("2", 27, metric=Metric("dead", "workers"), sentence="Divers recover bodies of two.")
    [f] = compare([dead], [missing])
    assert (f.kind, f.old.quantity.value, f.new.quantity.value) == (AlertKind.STATUS_UPDATE, 6, 2)


def test_one_sentence_about_one_event_makes_one_status_alert():
    sentence = "Debris of the vessel was found and all five aboard died in the implosion."
    people = fig("5", 22, metric=Metric("dead", "people"), sentence=sentence)
    vessel = Claim(
        kind=ClaimKind.STATUS,
        metric=Metric("status", "vessels", None, "count 1"),
        sentence=sentence,
        article_key="day22.txt",
        published=people.published,
        as_of=people.as_of,
        position=0,
        status="destroyed",
    )
    known = [
        fig("5", 21, metric=Metric("missing", "people")),
        Claim(
            **{
                **vessel.__dict__,
                "status": "missing",
                "article_key": "day21.txt",
                "published": fig("1", 21).published,
            }
        ),
    ]
    [f] = compare([people, vessel], known)
    assert f.new.metric.entity == "people"


def test_a_new_figure_revises_the_nearest_current_one():
    known = [fig("more than 14,100", 22, "gaza"), fig("about 1,200", 22, "israel", position=5)]
    [f] = compare([fig("more than 14,800", 24, "office")], known)
    assert f.old.quantity.low == 14100


def test_a_running_total_wins_over_a_batch_in_the_same_article():
    released = Metric("released", "prisoners")
    batch = fig("33", 28, "il", metric=released, sentence="Israel freed 33 prisoners.")
    total = fig(
        "150", 28, metric=released, sentence="A total of 150 prisoners were freed.", position=5
    )
    [f] = compare([batch, total], [fig("78", 26, metric=released)])
    assert f.new.quantity.value == 150


def test_a_batch_below_a_known_running_total_is_not_a_revision():
    released = Metric("released", "prisoners")
    total = fig("78", 26, metric=released, sentence="A total of 78 prisoners have been released.")
    batch = fig("33", 28, "il", metric=released, sentence="Israel freed 33 prisoners.")
    assert compare([batch], [total]) == []
    # the next figure answers the total, not the batch
    later = fig("240", 30, "il", metric=released, sentence="Israel freed 240 prisoners.")
    [f] = compare([later], [total, batch])
    assert (f.old.quantity.value, f.new.quantity.value) == (78, 240)
    # a lower figure told as a change is a revision all the same
    lowered = fig("60", 28, metric=released, sentence="The number released was revised to 60.")
    [f] = compare([lowered], [total])
    assert (f.kind, f.old.quantity.value) == (AlertKind.FIGURE_UPDATE, 78)


def test_a_fitting_figure_is_a_revision_where_its_source_gives_the_known_one_as_earlier():
    missing = Metric("missing", "people")
    known = fig("10,100", 14, "org:red crescent", metric=missing)
    now = replace(fig("more than 9,000", 17, "org:ocha", metric=missing), position=300)
    earlier = replace(
        fig("10,100", 17, "org:ocha", metric=missing, position=400),
        as_of=date(2023, 8, 15),
        standing=ClaimStatus.HISTORICAL,
    )
    [f] = compare([now, earlier], [known])
    assert (f.kind, f.old.quantity.value, f.new.quantity.low) == (
        AlertKind.FIGURE_UPDATE,
        10100,
        9000,
    )
    # without the article saying so, "more than 9,000" agrees with 10,100
    assert compare([now], [known]) == []


def test_a_lowered_floor_a_week_later_is_a_revision():
    [f] = compare([fig("more than 8,000", 26)], [fig("more than 9,000", 17)])
    assert f.kind == AlertKind.FIGURE_UPDATE
    assert (f.old.quantity.low, f.new.quantity.low) == (9000, 8000)


def test_the_same_floor_restated_is_not_news():
    assert compare([fig("more than 9,000", 26)], [fig("more than 9,000", 17)]) == []


def test_an_old_figure_that_loosely_fits_does_not_hide_a_revision():
    # "about 10,000" (day 12) could be "more than 8,000", but the current figure is 9,000+
    known = [fig("about 10,000", 12), fig("more than 9,000", 17)]
    [f] = compare([fig("more than 8,000", 26)], known)
    assert f.old.quantity.low == 9000


def test_two_named_sources_disagreeing_in_one_article_are_a_contradiction():
    lead = fig("more than 5,300", 12, "ministry", position=100, article="a.txt")
    rival = fig("2,300", 12, "person:ali", position=301, article="a.txt")
    findings = compare(settle_standing([lead, rival]), [fig("more than 2,000", 11, "pm")])
    kinds = {(f.kind, f.old.quantity.value or f.old.quantity.low, f.new.quantity.value)
             for f in findings}  # fmt: skip
    assert (AlertKind.CONTRADICTION, 5300, 2300) in kinds
    assert len(findings) == 2  # the toll's rise, and the rival count


def test_a_figure_far_down_the_page_is_not_a_rival():
    lead = fig("3,958", 17, "org:un", position=0, article="a.txt")
    teaser = fig("nearly 3,000", 17, "country:ma", position=1300, article="a.txt")
    findings = compare(settle_standing([lead, teaser]), [fig("11,300", 14, "org:un")])
    assert [(f.kind, f.new.quantity.value) for f in findings] == [(AlertKind.FIGURE_UPDATE, 3958)]


def test_rivals_in_a_stale_article_stay_quiet():
    lead = fig("95", 10, "gov", position=0, article="old.txt")
    rival = fig("92", 10, "police", position=100, article="old.txt")
    assert compare(settle_standing([lead, rival]), [fig("211", 12, "gov")]) == []


def test_a_story_with_one_place_compares_its_scoped_and_unscoped_figures():
    in_derna = Metric("dead", "people", None, "in derna")
    [f] = compare([fig("5,300", 13, metric=in_derna)], [fig("2,000", 12)])
    assert (f.old.quantity.value, f.new.quantity.value) == (2000, 5300)
    assert f.new.metric.scope == "in derna"  # the alert keeps the claim as read


def test_a_story_counting_two_countries_keeps_them_apart():
    in_turkey = Metric("dead", "people", None, "in turkey")
    in_syria = Metric("dead", "people", None, "in syria")
    known = [fig("5,894", 7, metric=in_turkey), fig("1,932", 7, metric=in_syria),
             fig("2,379", 6, metric=in_turkey), fig("711", 6, metric=in_syria),
             fig("7,800", 7)]  # fmt: skip
    [f] = compare([fig("14,014", 9, metric=in_turkey)], known)
    assert (f.old.quantity.value, f.new.quantity.value) == (5894, 14014)
    assert (
        compare([fig("3,162", 9, metric=in_syria), fig("7,800", 9)], known)[0].old.quantity.value
        == 1932
    )


def test_a_part_held_by_one_side_is_never_folded_into_the_total():
    part = Metric("dead", "people", None, "only in government-held areas")
    assert compare([fig("1,262", 9, metric=part)], [fig("3,162", 8)]) == []
