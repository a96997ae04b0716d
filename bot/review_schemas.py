"""Pydantic models of the review page's and the dashboard's JSON API.

Separate from ``bot.agent_schemas`` (the live handoff) because these look
back at finished conversations in Rasa's tracker store and change with the
content team's needs, not the agents'.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aisle.review import FLAGS

Flag = Literal[FLAGS]  # type: ignore[valid-type]


class ConversationRow(BaseModel):
    """One conversation in the review list."""

    id: str
    started_at: dt.datetime
    user_turns: int
    flags: list[Flag]
    first_message: str


class TranscriptEntry(BaseModel):
    """One line of a conversation: a shopper turn (with what the bot understood), a bot
    answer, or the moment it was handed to a person."""

    speaker: Literal["shopper", "bot", "handoff"]
    at: dt.datetime
    text: str
    turn: int | None = Field(None, description="Shopper turns are numbered from 0.")
    intent: str | None = None
    confidence: float | None = None


class ConversationView(BaseModel):
    """One conversation as the review page shows it, with the intents it may be relabelled to."""

    id: str
    started_at: dt.datetime
    flags: list[Flag]
    entries: list[TranscriptEntry]
    intents: list[str] = Field(description="The intents of domain.yml, for relabelling.")


class ExportRequest(BaseModel):
    """The reviewer's corrections: shopper turn number -> the intent the shopper meant."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200, description="The test story's name.")
    intents: dict[int, str] = Field(default_factory=dict)


class StoryExport(BaseModel):
    """The conversation as a test story (personal data redacted) and a file name for it."""

    filename: str
    yaml: str


class CsatView(BaseModel):
    """Ratings given in the range: how many, the mean (``None`` without any), count per score."""

    count: int
    average: float | None
    distribution: dict[int, int]


class AnalyticsReport(BaseModel):
    """``aisle.analytics.Analytics`` over [start, end], both days included (UTC)."""

    start: dt.date
    end: dt.date
    conversations: int
    user_turns: int
    containment_rate: float
    handoff_rate: float
    handoff_reasons: dict[str, int]
    fallback_rate: float
    intent_volume: dict[str, int]
    searches: int
    zero_result_rate: float
    turn_latency_ms: dict[str, float]
    csat: CsatView | None
