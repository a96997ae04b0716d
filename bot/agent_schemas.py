"""Pydantic models of the agent console's HTTP API and websocket.

Separate from ``bot.schemas`` (the shopper side) so the two protocols can
change on their own; both are parsed, never trusted as dicts.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AgentView(BaseModel):
    """The signed-in agent, as routes and the console see them (never the hash)."""

    id: int
    email: str
    name: str


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
