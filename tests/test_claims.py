"""Extraction reads what a number counts, who said it and when, and leaves description alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.claims import extract_claims
from bot.model import Article, ClaimKind, ClaimStatus

FRIDAY = datetime(2024, 12, 27, tzinfo=UTC)


def claims_of(text: str, published: datetime = FRIDAY):
    return extract_claims(Article("a.txt", "", text, published))


def figures(text: str, published: datetime = FRIDAY):
    return [c for c in claims_of(text, published) if c.kind == ClaimKind.FIGURE]


def figure_readings(text: str) -> set[tuple[str, float | None]]:
    """(event, value) of each figure: what most extraction rules are about."""
    return {(c.metric.predicate, c.quantity.value) for c in figures(text)}


def figure_scopes(text: str) -> dict[float | None, str | None]:
    """value -> scope of each figure: which part of the story a figure counts."""
    return {c.quantity.value: c.metric.scope for c in figures(text)}


def statuses(text: str, published: datetime = FRIDAY):
    return [c for c in claims_of(text, published) if c.kind == ClaimKind.STATUS]


def test_a_casualty_figure_with_its_qualifier_group_source_and_date():
    [c] = figures(
        "Over 3,000 North Korean troops have died or been wounded while fighting in "
        "Russia's Kursk region, Zelenskyy said Monday."
    )
    assert c.metric.predicate == "killed or wounded"
    assert c.metric.entity == "soldiers"
    assert c.metric.group == "north korean"
    assert (c.quantity.low, c.quantity.qualifier) == (3000, "over")
    assert c.source == "Zelenskyy"
    assert c.as_of == date(2024, 12, 23)  # the Monday before that Friday


def test_a_figure_held_by_a_measure_noun_and_attributed_to_a_country():
    [c] = figures(
        "South Korea's intelligence service had previously put the number of killed or "
        "wounded North Koreans at 1,000."
    )
    assert (c.metric.predicate, c.quantity.value) == ("killed or wounded", 1000)
    assert c.source_key == "country:kr"


def test_what_is_counted_is_not_the_source():
    # "release" is also a speech verb ("the ministry released figures")
    [c] = figures("A total of 78 Palestinian prisoners have been released.")
    assert (c.metric.predicate, c.quantity.value, c.source) == ("released", 78, None)
    [c] = figures("A total of 78 Palestinian prisoners have been released, Qatar said.")
    assert (c.quantity.value, c.source) == (78, "Qatar")


def test_a_body_named_in_full_with_its_acronym_is_keyed_by_the_acronym():
    [c] = figures(
        "The UN Office for the Coordination of Humanitarian Affairs (OCHA) said that more "
        "than 9,000 people were still missing."
    )
    assert c.source_key == "org:ocha"
    [c] = figures("OCHA said 10,100 people were missing.")
    assert c.source_key == "org:ocha"


def test_a_toll_rising_and_the_earlier_value_it_rose_from():
    claims = figures(
        "Maui County has raised the confirmed number of deaths from the fires to 55, "
        "up from the 53 it reported on Thursday evening."
    )
    by_value = {c.quantity.value: c for c in claims}
    assert set(by_value) == {55, 53}
    assert by_value[55].metric.predicate == "dead"
    assert by_value[53].standing == ClaimStatus.HISTORICAL


def test_people_still_missing_in_a_list():
    [c] = figures("Only 66 people remain on the list of those unaccounted for, the governor said.")
    assert (c.metric.predicate, c.metric.entity, c.quantity.value) == ("missing", "people", 66)


@pytest.mark.parametrize(
    "text",
    [
        "The 2018 Camp Fire killed 85 people in Paradise, California.",  # another, older event
        "Teams would likely recover 10 to 20 more people a day.",  # a projection
        "Relatives of two men, one aged 45 and the other 35, searched the shelters.",  # ages
        "The plane was climbing through about 16,000 feet with 171 passengers on board.",
        "Lahaina, a town of about 12,000 people, was left in ashes.",  # background
        "74 of the 97 victims now have names.",  # a part of a group
        "The county said 1,732 people who had been reported unaccounted for had been found safe.",
    ],
)
def test_description_is_not_a_claim(text):
    assert figures(text, datetime(2023, 8, 15, tzinfo=UTC)) == []


def test_a_count_of_two_kinds_of_people_is_neither_kind():
    [c] = figures("Some local media have put the number of pupils and staff held at 286.")
    assert (c.metric.entity, c.quantity.value) == ("students and workers", 286)
    [c] = figures("Gunmen abducted 286 pupils and staff from the school.")
    assert c.metric.entity == "students and workers"
    [c] = figures("Gunmen abducted 286 pupils from the school.")
    assert c.metric.entity == "students"


def test_a_clause_about_a_separate_event_is_its_own_scope():
    [c] = figures("In a separate attack in the northwest, gunmen kidnapped 15 pupils.")
    assert (c.metric.predicate, c.metric.scope) == ("captured", "other: attack")


def test_a_rate_per_week_is_scoped_apart_from_the_total():
    [c] = figures(
        "The administration said more than 1,000 North Korean soldiers had been killed or "
        "wounded in Kursk over the course of a week."
    )
    assert c.metric.scope == "per week"


def test_a_separate_fire_is_its_own_scope():
    [c] = figures("Upcountry, the separate Olinda fire has burned about 1,100 acres.")
    assert (c.metric.predicate, c.metric.entity) == ("burned", "acres")
    assert c.metric.scope == "other: olinda fire"


def test_unit_conversions_in_brackets_are_the_same_figure():
    claims = figures("The agency counted more than 2,100 acres (850 hectares) burned.")
    assert [c.quantity.low for c in claims] == [2100]


def test_status_of_one_soldier_captured_then_dead():
    [captured] = [
        c
        for c in statuses("Ukrainian forces have captured a North Korean soldier, Seoul said.")
        if c.status == "captured"
    ]
    assert captured.metric.entity == "soldiers"
    assert captured.metric.scope == "count 1"
    dead = [c.status for c in statuses("The soldier later died in captivity.")]
    assert "dead" in dead


def test_a_crowd_has_no_status_of_its_own():
    assert statuses("Russian soldiers were burning the faces of North Koreans who died.") == []
    assert [
        c.status for c in statuses("It was not immediately clear whether anyone was hurt.")
    ] == []


def test_the_verb_names_the_event_not_the_counted_noun():
    [c] = figures("Hamas released 24 hostages from Gaza on Friday, mediators said.")
    assert (c.metric.predicate, c.metric.entity, c.quantity.value) == ("released", "hostages", 24)


def test_increments_and_listed_parts_are_not_tallies():
    assert figures("Hamas freed 17 more hostages on Saturday night.") == []
    assert figures("Thirteen Israelis, ten Thai nationals and one Filipino were freed.") == []


def test_coordinated_clauses_keep_their_own_events():
    claims = figures("The agency said 912 people had died and 5,383 had been injured.")
    assert {(c.quantity.value, c.metric.predicate) for c in claims} == {
        (912, "dead"),
        (5383, "injured"),
    }


def test_a_leading_country_scopes_a_figure_to_that_part():
    [c] = figures("In Syria, the health ministry said 326 people were killed.")
    assert c.metric.scope == "in syria"


def test_a_figure_for_a_day_long_past_is_background():
    [c] = figures(
        "Militants killed around 1,200 people in southern Israel on October 7, officials said.",
        datetime(2023, 11, 24, tzinfo=UTC),
    )
    assert c.standing == ClaimStatus.BACKGROUND


def test_presumed_dead_is_a_stage_of_its_own():
    [c] = figures("Four workers remain missing and are presumed dead.")
    assert (c.metric.predicate, c.quantity.value) == ("presumed dead", 4)


def test_a_vessel_goes_missing_and_is_destroyed():
    missing = statuses("A search is under way for a submersible that went missing on Sunday.")
    assert [(c.metric.entity, c.status) for c in missing] == [("vessels", "missing")]
    destroyed = statuses("The submersible was destroyed in the implosion, the admiral said.")
    assert [(c.metric.entity, c.status) for c in destroyed] == [("vessels", "destroyed")]


def test_people_searched_for_are_missing():
    [c] = figures('The fire chief said crews were searching for "upwards of seven individuals."')
    assert (c.metric.predicate, c.quantity.low, c.quantity.qualifier) == (
        "missing",
        7,
        "upwards of",
    )


def test_a_rate_in_another_clause_does_not_scope_the_figure():
    [c] = figures(
        "Six people remained missing after the collapse, all members of a crew that had "
        "been filling potholes overnight, officials said."
    )
    assert c.metric.scope is None


def test_the_date_of_the_event_in_a_relative_clause_is_not_the_figure_date():
    [c] = figures(
        "The number of people killed by the floods that struck on Oct. 29 has risen to 219, "
        "the government said on Friday.",
        datetime(2024, 11, 8, tzinfo=UTC),
    )
    assert c.as_of == date(2024, 11, 8)


def test_parts_given_after_a_total_are_not_tallies():
    assert figures("Of those, 155 people died in the Valencia region and two elsewhere.") == []


def test_a_large_count_of_troops_is_a_force_size():
    [c] = figures("About 2,500 soldiers were already in the area before the announcement.")
    assert (c.metric.predicate, c.metric.entity) == ("deployed", "soldiers")
    assert figures("Officials shared images of the 2 soldiers.") == []


def test_looking_for_something_is_not_finding_it():
    assert [
        c.status
        for c in statuses("Rescuers racing to find a missing submersible searched the area.")
    ] == ["missing"]


def test_no_deaths_is_a_toll_of_zero():
    [c] = figures("No deaths have been reported so far in the outbreak.")
    assert (c.metric.predicate, c.quantity.value) == ("dead", 0)


def test_countries_reached_by_an_outbreak_are_counted():
    claims = figures("The WHO said 257 confirmed cases had been reported from 23 countries.")
    assert {(c.metric.predicate, c.quantity.value) for c in claims} == {
        ("infected", 257),
        ("affected", 23),
    }


def test_coordinated_entities_share_a_status():
    found = statuses("Rescuers struggled to reach 12 boys and their coach who have been missing.")
    assert {(c.metric.entity, c.metric.scope, c.status) for c in found} == {
        ("children", "count 12", "missing"),
        ("coach", "count 1", "missing"),
    }


def test_a_release_on_a_named_day_is_that_days_batch():
    [c] = figures("On Sunday, Hamas had freed 17 hostages, the mediators said.")
    assert c.metric.scope == "on sunday"


def test_a_headline_toll_the_parser_misreads_is_read_from_the_words_before_the_verb():
    readings = figure_readings(
        "Quake toll climbs to 22; unaccounted-for list cut to 126 after review"
    )
    # 22 is the toll, not the unaccounted-for figure the words after it name
    assert ("dead", 22) in readings
    assert ("missing", 22) not in readings


def test_a_long_subject_before_rose_to_still_names_the_tally():
    [c] = figures(
        "The number of people unaccounted for after the partial collapse of a tower in "
        "the town rose to 159 on Friday, the mayor said."
    )
    assert (c.metric.predicate, c.quantity.value) == ("missing", 159)


def test_a_count_with_an_adjective_predicate():
    readings = figure_readings(
        "Tower collapse: death toll rises to 4, with 159 people unaccounted for"
    )
    assert readings == {("dead", 4), ("missing", 159)}


def test_rose_to_without_tally_words_is_not_a_claim():
    assert figures("Shares in the builder rose to 159 on Friday, traders said.") == []


def test_people_trapped_is_a_tally_and_a_rescue_to_come_is_not_a_rescue():
    [c] = figures("Second cave-in hampers rescue of 34 miners trapped in the north")
    assert (c.metric.predicate, c.quantity.value) == ("trapped", 34)


def test_history_words_of_another_figure_do_not_make_this_one_historical():
    [c] = figures("The government now says 33 men are trapped, not the 34 initially reported.")
    assert (c.metric.predicate, c.quantity.value) == ("trapped", 33)
    assert c.standing == ClaimStatus.CURRENT


def test_a_relative_clause_with_its_own_figure_does_not_tell_of_the_noun():
    readings = {
        (c.metric.predicate, c.metric.entity, c.quantity.value)
        for c in figures("CBI arrests three railway employees over Odisha crash that killed 293")
    }
    assert ("dead", "people", 293) in readings
    assert not any(value == 3 and predicate == "dead" for predicate, _, value in readings)


def test_spun_wording_still_counts_people_and_only_people():
    readings = figure_readings(
        "The agency said 2,103 confirmed circumstances of the virus had been "
        "reported from 42 nations, and 24 hostages were launched on Friday."
    )
    assert {("infected", 2103), ("released", 24)} <= readings
    assert figures("The army launched 40 drones at the city overnight.") == []


def test_a_country_named_on_the_tally_scopes_it():
    scopes = figure_scopes(
        "Turkey's death toll climbed to 8,574, the vice president said. The number of "
        "people killed in Syria rose to 2,662. The quakes killed 11,200 people in Turkey "
        "and Syria. The flood killed 300 people in Derna."
    )
    assert scopes == {8574: "in turkey", 2662: "in syria", 11200: None, 300: None}


def test_a_gapped_second_tally_borrows_the_first_ones_verb():
    readings = figure_readings("The death toll rose to 5,894 and the number of injured to 34,810.")
    assert readings == {("dead", 5894), ("injured", 34810)}


def test_a_figure_for_areas_held_by_one_side_is_a_part_and_the_total_keeps_its_country():
    scopes = figure_scopes(
        "In Syria, the toll stood at 3,581: the health ministry reported 1,414 deaths in "
        "government-held areas, and rescuers said 2,167 people had died in the "
        "rebel-held northwest."
    )
    assert scopes == {
        3581: "in syria",
        1414: "only in government-held areas",
        2167: "only in rebel-held northwest",
    }


def test_an_area_held_by_one_side_has_one_name_however_worded():
    scopes = figure_scopes(
        "The health ministry said 812 people had died in areas under government control."
    )
    assert scopes == {812: "only in government-held areas"}


def test_a_place_closing_two_clauses_scopes_both():
    scopes = figure_scopes(
        "In Syria, the health ministry said 711 people had been killed and 1,431 injured "
        "in government-held areas, most of them in the provinces of Aleppo and Hama."
    )
    assert scopes[711] == "only in government-held areas"


def test_an_order_to_detain_is_not_an_arrest():
    assert figures("Prosecutors have ordered the detention of more than 100 people.") == []
    [c] = figures("Police have arrested 12 people, including contractors.")
    assert (c.metric.predicate, c.quantity.value) == ("arrested", 12)


def test_a_past_year_in_a_comparison_clause_leaves_the_current_figure_alone():
    [c] = figures(
        "The number of people killed by the earthquakes rose above 17,100 on Thursday, "
        "surpassing the toll of the 1999 Izmit quake."
    )
    assert (c.metric.predicate, c.quantity.low) == ("dead", 17100)
    assert figures("In 2002, nine coal miners were rescued from a flooded mine.") == []
    assert figures("It is the deadliest fire since the 2018 Camp Fire, which killed 85.") == []


def test_a_tally_as_the_subject_of_a_copula():
    [c] = figures("The combined toll was 35,224.")
    assert (c.metric.predicate, c.quantity.value) == ("dead", 35224)
    assert figures("Its population was 12,000.") == []


def test_victims_identified_is_a_tally_of_its_own():
    assert figure_readings(
        "Officials said 141 of the 179 people killed had now been identified."
    ) == {
        ("identified", 141),
        ("dead", 179),
    }
    assert figure_readings("Authorities had identified 88 of the dead, officials said.") == {
        ("identified", 88)
    }
    assert figure_readings("Crash survivor at risk of paralysis; 141 victims identified") == {
        ("identified", 141)
    }


@pytest.mark.parametrize(
    "text",
    [
        "The bodies of 52 victims have still not been identified.",  # not yet named
        "101 of the bodies are yet to be identified, a railway official said.",
        "The remaining five victims would have to be identified by DNA analysis.",
        "The agency said it had identified 2,103 cases since May.",  # an infection count
    ],
)
def test_victims_not_yet_identified_and_other_identifications_are_not_that_tally(text):
    assert ("identified", 52) not in figure_readings(text)
    assert {event for event, _ in figure_readings(text)} <= {"dead", "infected"}


def test_a_correction_note_quotes_an_error_not_a_claim():
    text = (
        "Authorities have identified 174 of the 179 people killed, officials said.\n"
        "Correction: An earlier version of this article said 176 people had been killed."
    )
    assert figure_readings(text) == {("identified", 174), ("dead", 179)}


def test_a_dateline_is_where_the_story_was_filed_not_who_said_it():
    (dead, injured) = figures(
        "BALASORE, India - At least 50 people were killed and more than 350 injured when "
        "a passenger train derailed, officials said."
    )
    assert (dead.source, injured.source) == ("officials", "officials")
    assert dead.sentence.startswith("At least 50 people were killed")


def test_finding_ones_way_back_is_not_being_found():
    text = "But 25 of them escaped from their captors and found their way back to the town."
    assert [c.status for c in statuses(text)] == []
    assert [c.status for c in statuses("Rescuers found the missing hiker on Sunday.")] == [
        "found",
        "missing",
    ]


def test_a_claim_quotes_its_whole_sentence_even_where_the_parser_would_cut_it():
    text = (
        "In Syria, the health ministry said 711 people had been killed and 1,431 injured "
        "in government-held areas, most of them in the provinces of Aleppo, Hama, Latakia "
        "and Tartus."
    )
    (dead, *_) = figures(text)
    assert (dead.metric.predicate, dead.quantity.value) == ("dead", 711)
    assert dead.sentence == text
