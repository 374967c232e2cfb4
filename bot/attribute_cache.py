"""The model's attribute ruler and lemmatizer, with their answers cached per kind of token.

spaCy's AttributeRuler sets each token's coarse POS, morphology and some lemmas
by running a Matcher of some 180 patterns over every token: more time than the
parser takes. Nearly all those patterns look at one token's tag, lower-case form,
dependency and whether it is a space, and nothing else; what they do to a token
is therefore fixed by those four values. This component asks spaCy's own Matcher
once per such combination and remembers which patterns matched; the few patterns
that span two tokens still run as a Matcher over the whole sentence. Patterns are
applied in the ruler's own order, so every token ends up exactly as the ruler
would leave it (tests/test_attribute_cache.py checks that on every story).

The rule lemmatizer already caches its answer per (form, POS, morphology); what
cost was reaching that cache token by token through Python objects. Here the
three are read, and the lemmas written, as whole arrays.
"""

from __future__ import annotations

import numpy
from spacy.attrs import LEMMA, MORPH, ORTH, POS
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler, Lemmatizer
from spacy.tokens import Doc, Token
from spacy.tokens._retokenize import set_token_attrs  # what AttributeRuler itself calls

_ONE_TOKEN_KEYS = {"TAG", "LOWER", "DEP", "IS_SPACE"}
_CACHE_LIMIT = 200_000  # token kinds remembered; a long-running process starts afresh


class CachedAttributeRuler:
    def __init__(self, ruler: AttributeRuler) -> None:
        self.attrs = ruler.attrs
        self.indices = ruler.indices
        self.strings = ruler.vocab.strings
        self.single = Matcher(ruler.vocab)
        self.spanning = Matcher(ruler.vocab)
        for attr_id, entry in enumerate(ruler.patterns):
            patterns = entry["patterns"]
            one_token = all(len(p) == 1 and set(p[0]) <= _ONE_TOKEN_KEYS for p in patterns)
            (self.single if one_token else self.spanning).add(str(attr_id), patterns)
        self._kinds: dict[tuple[str, str, str, bool], list[int]] = {}

    def _matched(self, tok: Token) -> list[int]:
        kind = (tok.tag_, tok.lower_, tok.dep_, tok.is_space)
        found = self._kinds.get(kind)
        if found is None:
            if len(self._kinds) >= _CACHE_LIMIT:
                self._kinds.clear()
            matches = self.single(tok.doc[tok.i : tok.i + 1], allow_missing=True)
            found = sorted({int(self.strings[m_id]) for m_id, _, _ in matches})
            self._kinds[kind] = found
        return found

    def __call__(self, doc: Doc) -> Doc:
        extra: dict[int, list[int]] = {}
        for m_id, start, end in self.spanning(doc, allow_missing=True):
            attr_id = int(self.strings[m_id])
            index = self.indices[attr_id]
            target = start + index if index >= 0 else end + index
            extra.setdefault(target, []).append(attr_id)
        for tok in doc:
            ids = self._matched(tok)
            if tok.i in extra:
                ids = sorted(set(ids) | set(extra[tok.i]))
            for attr_id in ids:
                set_token_attrs(tok, self.attrs[attr_id])
        return doc


class CachedLemmatizer:
    def __init__(self, lemmatizer: Lemmatizer) -> None:
        assert lemmatizer.mode == "rule" and not lemmatizer.overwrite
        self.lemmatizer = lemmatizer
        self.strings = lemmatizer.vocab.strings
        self._lemmas: dict[tuple[int, int, int], int] = {}

    def __call__(self, doc: Doc) -> Doc:
        rows = doc.to_array([ORTH, POS, MORPH, LEMMA]).tolist()
        lemmas = numpy.empty((len(rows), 1), dtype="uint64")
        for i, (orth, pos, morph, lemma) in enumerate(rows):
            if not lemma:  # one the attribute ruler set stays, as in spaCy's
                kind = (orth, pos, morph)
                lemma = self._lemmas.get(kind)
                if lemma is None:
                    if len(self._lemmas) >= _CACHE_LIMIT:
                        self._lemmas.clear()
                    lemma = self.strings.add(self.lemmatizer.lemmatize(doc[i])[0])
                    self._lemmas[kind] = lemma
            lemmas[i, 0] = lemma
        doc.from_array([LEMMA], lemmas)
        return doc


def cache_token_attributes(nlp: Language) -> Language:
    """Swap the pipeline's attribute ruler and lemmatizer for the cached ones, in place."""
    for pipe, cached in (
        ("attribute_ruler", CachedAttributeRuler),
        ("lemmatizer", CachedLemmatizer),
    ):
        name = f"claimwatch_{pipe}_cache_{id(nlp)}"
        Language.component(name, func=cached(nlp.get_pipe(pipe)))
        nlp.replace_pipe(pipe, name)
    return nlp
