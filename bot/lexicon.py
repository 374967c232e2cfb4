"""The vocabulary of tallies: which events are worth tracking, what they count, which states things go through.

A figure becomes a claim only when the words around it name a tracked event
(deaths, injuries, people missing, captured, evacuated, buildings destroyed,
area burned, troops deployed, ...). Everything else in an article (ages,
altitudes, prices, flight numbers, populations) is description, not a development.
These lists are general English, not the words of any one story.
"""

from __future__ import annotations

# Event classes: lemma -> class. Checked on the words syntactically tied to a number.
EVENT_WORDS: dict[str, str] = {}


def _add(cls: str, words: str) -> None:
    for w in words.split():
        EVENT_WORDS[w.replace("_", " ")] = cls


_add("dead", "die dead death kill fatality fatal perish toll decease deceased slay body remains")
_add("injured", "injure injury wound wounded hurt maim")
_add("killed or wounded", "casualty")
_add("missing", "missing unaccounted disappear disappearance")
_add("trapped", "trap")
# "prisoners" and "hostages" name who is counted; held, taken or seized is the event
_add("captured", "capture seize seizure imprison abduct kidnap hold")
_add("arrested", "arrest detain detention detainee")
_add("released", "release free freed liberate")
_add("evacuated", "evacuate evacuation evacuee")
_add("displaced", "displace homeless")
_add("rescued", "rescue")
_add("hospitalized", "hospitalize hospitalise hospitalization")
_add("infected", "infect infection sicken case")
_add("survived", "survive survivor")
_add("destroyed", "destroy damage raze flatten level gut demolish collapse flood submerge inundate")
_add("burned", "burn scorch char blacken consume")
_add("deployed", "deploy deployment send dispatch station")

# Machine-rewritten copies (aggregators running articles through a synonym spinner)
# swap words for near-synonyms that mean nothing else next to a count of people:
# "the variety of useless rose to 48", "folks lacking", "broken houses". A figure
# still needs a counted noun its event fits (people released, people infected).
_add("dead", "useless")
_add("missing", "lacking")
_add("destroyed", "broken")
_add("released", "launch")  # "11 extra hostages are launched": only people can be released
_add("infected", "circumstance")  # "2,103 confirmed circumstances of monkeypox"

# Which event classes make figures that chat channels hear about.
ALERTING_EVENTS = {
    "dead",
    "injured",
    "killed or wounded",
    "missing",
    "presumed dead",
    "trapped",
    "captured",
    "arrested",
    "released",
    "evacuated",
    "survived",
    "identified",
    "displaced",
    "rescued",
    "hospitalized",
    "infected",
    "destroyed",
    "burned",
    "deployed",
    "affected",
}

# Entity classes: lemma -> class. "people" is the generic class of persons.
ENTITY_WORDS: dict[str, str] = {}


def _ent(cls: str, words: str) -> None:
    for w in words.split():
        ENTITY_WORDS[w.replace("_", " ")] = cls


_ent(
    "people",
    "people person individual human name body victim life soul inhabitant citizen folk man men "
    "woman women adult family member survivor evacuee pilgrim protester protestor demonstrator "
    "spectator fan voter worshipper swimmer climber hiker camper diver fisherman fishermen "
    "sailor journalist reporter",
)
_ent(
    "soldiers", "soldier troop trooper serviceman servicemen servicewoman fighter personnel marine"
)
_ent("civilians", "civilian")
_ent("children", "child kid minor infant baby boy girl teenager teen toddler")
_ent("residents", "resident villager")
_ent("passengers", "passenger guest traveller traveler")
_ent("crew", "crew crewmember")
_ent("workers", "worker employee miner laborer labourer staff")
_ent("officers", "officer commander general")
_ent("police", "policeman policemen")
_ent("students", "student pupil")
_ent("patients", "patient")
_ent("migrants", "migrant refugee asylum_seeker")
_ent("hostages", "hostage captive")
_ent("prisoners", "prisoner detainee inmate")
_ent("tourists", "tourist visitor")
_ent("buildings", "building structure home house residence property dwelling homes")
_ent("acres", "acre")
_ent("hectares", "hectare")
_ent("square miles", "square_mile mile")
_ent("square kilometres", "square_kilometer square_kilometre kilometer kilometre km")
_ent("animals", "animal livestock cattle")
_ent("vehicles", "vehicle car truck")
_ent("aircraft", "aircraft plane jet airplane helicopter drone")
_ent("countries", "country nation territory")
_ent("vessels", "vessel ship boat submersible submarine sub ferry yacht tanker barge craft")

PERSON_CLASSES = {
    "people",
    "soldiers",
    "civilians",
    "children",
    "residents",
    "passengers",
    "crew",
    "workers",
    "officers",
    "police",
    "students",
    "patients",
    "migrants",
    "hostages",
    "prisoners",
    "tourists",
}
AREA_CLASSES = {"acres", "hectares", "square miles", "square kilometres"}

# Nouns that hold a figure without being what is counted: "the death toll rose to 89".
MEASURE_NOUNS = {
    "number",
    "toll",
    "tally",
    "count",
    "figure",
    "total",
    "list",
    "roll",
    "estimate",
    "sum",
}

# Speech and reporting verbs whose subject is the source of a claim.
SPEECH_VERBS = {
    "say",
    "tell",
    "announce",
    "report",
    "confirm",
    "estimate",
    "state",
    "claim",
    "add",
    "note",
    "warn",
    "assure",
    "mention",
    "declare",
    "acknowledge",
    "reveal",
    "disclose",
    "put",
    "count",
    "tally",
    "list",
    "release",
    "stress",
    "caution",
    "indicate",
    "believe",
    "record",
    "publish",
    "update",
    "raise",
    "revise",
    "lower",
    "cut",
    "write",
    "post",
    "show",
    "insist",
    "allege",
    "assert",
    "suggest",
    "explain",
    "testify",
    "brief",
    "conclude",
    "find",
}
# Nouns that name an authority without naming which one: a source, but a vague one.
AUTHORITY_NOUNS = {
    "official",
    "authority",
    "officer",
    "police",
    "county",
    "agency",
    "government",
    "ministry",
    "military",
    "army",
    "intelligence",
    "service",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "governor",
    "mayor",
    "president",
    "chief",
    "minister",
    "department",
    "office",
    "source",
    "statement",
    "administration",
    "regulator",
    "investigator",
    "examiner",
    "coroner",
    "hospital",
    "fbi",
    "command",
    "staff",
    "force",
    "forces",
    "company",
    "airline",
    "board",
}

# Statuses of one entity, with the stage they mark in its story. A status moves
# forward (missing -> found; captured -> dead); a report of an earlier stage after
# a later one is old news or another entity, never an alert.
STATUS_WORDS: dict[str, str] = {
    "missing": "missing",
    "unaccounted": "missing",
    "disappear": "missing",
    "lose": "missing",
    "capture": "captured",
    "seize": "captured",
    "prisoner": "captured",
    "imprison": "captured",
    "captive": "captured",
    "captivity": "captured",
    "custody": "captured",
    "apprehension": "captured",
    "apprehend": "captured",
    "arrest": "arrested",
    "detain": "arrested",
    "injure": "injured",
    "wound": "injured",
    "hurt": "injured",
    "hospitalize": "injured",
    "die": "dead",
    "dead": "dead",
    "death": "dead",
    "kill": "dead",
    "decease": "dead",
    "deceased": "dead",
    "perish": "dead",
    "release": "released",
    "free": "released",
    "freed": "released",
    "exchange": "released",
    "abduct": "captured",
    "kidnap": "captured",
    "hostage": "captured",
    "implode": "destroyed",
    "implosion": "destroyed",
    "sink": "destroyed",
    "wreck": "destroyed",
    "crash": "destroyed",
    "destroy": "destroyed",
    "escape": "escaped",
    "find": "found",
    "locate": "found",
    "recover": "found",
    "retrieve": "found",
    "rescue": "rescued",
}
STATUS_STAGE: dict[str, float] = {
    "missing": 0,
    # injured ranks just below captured: "an injured soldier was captured" is one stage on
    "injured": 0.9,
    "captured": 1,
    "arrested": 1,
    "presumed dead": 1.5,
    "dead": 2,
    "released": 2,
    "escaped": 2,
    "found": 2,
    "rescued": 2,
    "found alive": 2,
    "lost": 2,
    "destroyed": 2,
}

# Query words people use for events, mapped to event classes (for `/claims QUERY`).
QUERY_SYNONYMS: dict[str, set[str]] = {
    "casualties": {"killed or wounded", "dead", "injured"},
    "casualty": {"killed or wounded", "dead", "injured"},
    "losses": {"killed or wounded", "dead"},
    "deaths": {"dead", "killed or wounded"},
    "dead": {"dead", "killed or wounded"},
    "death": {"dead", "killed or wounded"},
    "killed": {"dead", "killed or wounded"},
    "fatalities": {"dead"},
    "toll": {"dead"},
    "wounded": {"injured", "killed or wounded"},
    "injured": {"injured", "killed or wounded"},
    "injuries": {"injured", "killed or wounded"},
    "troops": {"deployed"},
    "soldiers": {"deployed", "captured", "killed or wounded"},
    "deployment": {"deployed"},
    "deployed": {"deployed"},
    "captured": {"captured"},
    "capture": {"captured"},
    "prisoners": {"captured", "arrested"},
    "pows": {"captured"},
    "captives": {"captured"},
    "detained": {"arrested", "captured"},
    "arrests": {"arrested"},
    "missing": {"missing"},
    "unaccounted": {"missing"},
    "evacuations": {"evacuated"},
    "evacuated": {"evacuated"},
    "displaced": {"displaced"},
    "damage": {"destroyed"},
    "destroyed": {"destroyed"},
    "buildings": {"destroyed"},
    "homes": {"destroyed"},
    "area": {"burned"},
    "acres": {"burned"},
    "burned": {"burned"},
    "released": {"released"},
    "hostages": {"captured", "released"},
    "cases": {"infected"},
    "countries": {"affected"},
    "infections": {"infected"},
    "rescued": {"rescued"},
    "hospitalized": {"hospitalized"},
    "identified": {"identified"},
    "identification": {"identified"},
    "victims": {"dead", "identified"},
}
