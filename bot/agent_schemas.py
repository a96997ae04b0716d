"""Pydantic models of the agent console's HTTP API and websocket.

Separate from ``bot.schemas`` (the shopper side) so the two protocols can
change on their own; both are parsed, never trusted as dicts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aisle.handoffs import RESOLUTIONS
from bot.schemas import HandoffStatus, TranscriptLine

Resolution = Literal[RESOLUTIONS]  # type: ignore[valid-type]


class AgentView(BaseModel):
    """The signed-in agent, as routes and the console see them (never the hash)."""

    id: int
    email: str
    name: str


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class QueueItem(BaseModel):
    """One open handoff in the console's queue."""

    id: int
    conversation_id: str
    status: HandoffStatus
    reason: str
    summary: str
    created_at: dt.datetime
    waiting_seconds: int
    agent_name: str | None


class LiveMessage(BaseModel):
    """One message of the live part of a handoff."""

    id: int
    handoff_id: int
    sender: Literal["shopper", "agent", "system"]
    text: str
    created_at: dt.datetime
    agent_name: str | None = None


class OrderLine(BaseModel):
    number: str
    status: str
    placed_at: dt.datetime
    total: str
    currency: str


class CustomerView(BaseModel):
    name: str
    email: str
    orders: list[OrderLine]


class ProductLine(BaseModel):
    id: str
    title: str


class HandoffDetail(QueueItem):
    """Everything the bot knew, for the context panel, plus the live messages."""

    latest_intent: str | None
    resolution: str | None
    escalation: dict[str, Any] = Field(default_factory=dict)
    """Why it was handed over: ``reason``, ``trigger`` and the evidence (``messages``,
    ``matched``, ``order``, ``error``), as ``action_handoff`` stored it."""
    intents: list[dict[str, Any]]
    actions: list[str]
    page: str | None
    slots: dict[str, Any]
    customer: CustomerView | None
    verified_order: str | None
    products_shown: list[ProductLine]
    transcript: list[TranscriptLine]
    messages: list[LiveMessage]


class AgentText(BaseModel):
    """An agent's message, over HTTP or the console's websocket."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Resolution


class AgentMessageFrame(AgentText):
    """Console -> gateway: send ``text`` to the shopper of ``handoff_id``."""

    type: Literal["agent_message"]
    handoff_id: int


class AgentTypingFrame(BaseModel):
    """Console -> gateway: the agent started or stopped typing in ``handoff_id``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["typing"]
    handoff_id: int
    on: bool


class ShopperTypingEvent(BaseModel):
    """Gateway -> console: the shopper of ``handoff_id`` is typing."""

    type: Literal["typing"] = "typing"
    handoff_id: int
    on: bool


class LiveMessageEvent(LiveMessage):
    """Gateway -> console: a stored live message (the shopper's, or the agent's own echo)."""

    type: Literal["message"] = "message"


class QueueChanged(BaseModel):
    """Gateway -> console: the queue changed; fetch it again."""

    type: Literal["queue_changed"] = "queue_changed"


class ConsoleError(BaseModel):
    type: Literal["error"] = "error"
    message: str


class CannedReply(BaseModel):
    title: str = Field(max_length=60)
    text: str = Field(max_length=2000)
