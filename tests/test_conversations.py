"""Conversation tests: every story in tests/stories replayed through the real
Rasa server and action server, on the seeded demo shop."""

from __future__ import annotations

import pytest

from aisle.settings import PROJECT_ROOT
from aisle.stack import Stack
from aisle.story_replay import ReplayStory, StoryReplayer, custom_actions_of, load_stories

STORIES = load_stories([PROJECT_ROOT / "tests" / "stories"])

pytestmark = pytest.mark.stack


def test_there_are_conversation_tests() -> None:
    assert len(STORIES) >= 10


@pytest.fixture(scope="module")
def replayer(stack: Stack):  # type: ignore[no-untyped-def]
    replayer = StoryReplayer(stack.config.rasa_url, custom_actions_of(PROJECT_ROOT / "domain.yml"))
    yield replayer
    replayer.close()


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_story(replayer: StoryReplayer, story: ReplayStory) -> None:
    result = replayer.replay(story)
    assert result.passed, f"{story.source}: {story.name}\n  " + "\n  ".join(result.failures)
