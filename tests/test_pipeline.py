"""The pipeline's batch contract: many articles share one extraction pass, yet each is
stored, compared and alerted exactly as if it had come alone."""

from __future__ import annotations

from dataclasses import replace

import pytest
from spacy.language import Language
from support.nlp import Passes, nlp_with
from support.story import seed_articles

from bot.pipeline import Incoming, Pipeline
from bot.replay import alert_record
from store import Store


@pytest.fixture(scope="module")
def counted() -> tuple[Language, Passes]:
    passes = Passes()
    return nlp_with(passes), passes


def test_a_batch_raises_the_same_alerts_as_one_article_at_a_time(db_url: str, tmp_path) -> None:
    articles = seed_articles()
    alone = Store(f"sqlite:///{tmp_path}/alone.db")
    one_by_one = [alert_record(a) for x in articles for a in Pipeline(alone).ingest(x, "T1").alerts]
    together = Store(db_url)
    results = Pipeline(together).ingest_many([Incoming(x, "T1") for x in articles])
    assert [r.outcome for r in results] == ["new"] * len(articles)
    assert [alert_record(a) for r in results for a in r.alerts] == one_by_one
    assert len(one_by_one) == 4  # the seeds' four wanted alerts
    alone.close()
    together.close()


def test_a_batch_is_read_by_the_parser_in_one_pass(
    db_url: str, counted: tuple[Language, Passes]
) -> None:
    nlp, passes = counted
    store = Store(db_url)
    before = passes.calls
    results = Pipeline(store, nlp).ingest_many([Incoming(x, "T1") for x in seed_articles()])
    assert passes.calls - before == 1
    assert sum(len(r.claims) for r in results) > 5
    store.close()


def test_an_article_twice_in_one_batch_is_stored_once_and_its_new_text_is_an_update(
    db_url: str,
) -> None:
    first, other = seed_articles()[:2]
    revised = replace(first, text=first.text + "\n" + other.text)
    store = Store(db_url)
    results = Pipeline(store).ingest_many(
        [Incoming(first, "T1"), Incoming(first, "T1"), Incoming(revised, "T1")]
    )
    assert [r.outcome for r in results] == ["new", "duplicate", "updated"]
    assert results[1].story_id == results[0].story_id == results[2].story_id
    with store.session() as tx:
        assert tx.count_articles("T1") == 1
    store.close()


def test_the_same_article_for_two_teams_is_two_articles(db_url: str) -> None:
    first = seed_articles()[0]
    store = Store(db_url)
    results = Pipeline(store).ingest_many([Incoming(first, "T1"), Incoming(first, "T2")])
    assert [r.outcome for r in results] == ["new", "new"]
    t1, t2 = ([replace(c, id=None) for c in r.claims] for r in results)
    assert t1 == t2 != []
    assert results[0].story_id != results[1].story_id
    store.close()


def test_an_article_that_breaks_extraction_fails_alone(db_url: str) -> None:
    articles = seed_articles()[:3]
    broken = replace(articles[1], text=articles[1].text + "\nBREAKS: 5 soldiers were killed.")
    store = Store(db_url)
    pipeline = Pipeline(store, nlp_with(Passes(breaks_on="BREAKS")))
    prepared = pipeline.prepare([Incoming(a, "T1") for a in (articles[0], broken, articles[2])])
    assert [p.error is not None for p in prepared] == [False, True, False]
    assert pipeline.commit(prepared[0]).outcome == "new"
    with pytest.raises(RuntimeError, match="cannot read"):
        pipeline.commit(prepared[1])
    assert pipeline.commit(prepared[2]).outcome == "new"
    with store.session() as tx:
        assert tx.count_articles("T1") == 2  # the broken one is not stored: it will be retried
    store.close()
