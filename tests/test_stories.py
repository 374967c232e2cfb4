"""Grouping: an article joins the story it shares names with, while that story is active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.model import Article, Story
from bot.stories import JOIN_THRESHOLD, best_story, signature

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
