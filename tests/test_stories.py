"""Grouping: an article joins the story it shares names with, while that story is active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.model import Article, Story
from bot.stories import JOIN_THRESHOLD, StoryIndex, best_story, signature

AUG_23 = datetime(2010, 8, 23, tzinfo=UTC)
MINE = Article(
    "a.txt",
    "All 33 miners trapped at San José mine are alive",
    "COPIAPÓ - The 33 men trapped in the San José mine near Copiapó are alive, Minister "
    "Laurence Golborne said, after a probe reached the shelter. President Sebastián Piñera "
    "read the note to reporters at Camp Hope.",
    AUG_23,
)
LATER = (
    "First of 33 trapped miners reaches the surface at San José mine",
    "SAN JOSÉ MINE - Florencio Ávalos became the first of the 33 men to be brought up, "
    "as President Sebastián Piñera and Minister Laurence Golborne watched at Camp Hope.",
)


def story_of(article: Article) -> Story:
    return Story(1, article.title, signature(article), article.published, article.published)


def test_a_story_paused_for_seven_weeks_is_still_the_same_story():
    later = Article("b.txt", *LATER, AUG_23 + timedelta(days=51))
    story, score = best_story(signature(later), later.published, [story_of(MINE)])
    assert story is not None and story.id == 1
    assert score >= JOIN_THRESHOLD


def test_a_story_quiet_for_over_three_months_is_over():
    later = Article("b.txt", *LATER, AUG_23 + timedelta(days=120))
    story, _ = best_story(signature(later), later.published, [story_of(MINE)])
    assert story is None


def test_an_unrelated_article_starts_its_own_story():
    other = Article(
        "c.txt",
        "Hurricane Otis death toll rises to 39 in Acapulco",
        "ACAPULCO - Guerrero Governor Evelyn Salgado said 39 people had died.",
        AUG_23 + timedelta(days=1),
    )
    story, score = best_story(signature(other), other.published, [story_of(MINE)])
    assert story is None
    assert score < 0.05


def _story(story_id: int, terms: dict[str, float], day: int = 0) -> Story:
    return Story(story_id, f"story {story_id}", terms, AUG_23 + timedelta(days=day))


def test_the_index_scores_only_the_stories_in_play():
    index = StoryIndex([_story(1, {"copiapo": 2.0, "golborne": 1.0}), _story(2, {"copiapo": 2.0})])
    terms = {"copiapo": 1.0, "golborne": 1.0}
    assert index.best(terms, AUG_23)[0].id == 1
    assert index.best(terms, AUG_23, among={2})[0].id == 2
    assert index.best(terms, AUG_23, among=set()) == (None, 0.0)


def test_a_story_indexed_again_is_scored_on_its_new_signature():
    index = StoryIndex([_story(1, {"copiapo": 1.0}), _story(2, {"acapulco": 1.0})])
    index.add(_story(1, {"acapulco": 1.0, "otis": 1.0}))
    assert index.best({"copiapo": 1.0}, AUG_23) == (None, 0.0)
    story, score = index.best({"otis": 1.0}, AUG_23)
    assert story is not None and story.id == 1 and round(score, 3) == 0.707
    index.discard(1)
    assert index.best({"otis": 1.0}, AUG_23) == (None, 0.0)


def test_equal_scores_go_to_the_older_story():
    index = StoryIndex([_story(7, {"copiapo": 1.0}), _story(3, {"copiapo": 1.0})])
    story, score = index.best({"copiapo": 1.0}, AUG_23)
    assert story is not None and story.id == 3 and score == 1.0
