"""Aisle's configuration, read once from the environment.

Every part of Aisle (gateway, actions, catalog tools, demo seeding) reads its
settings here, so an operator has a single list of knobs. Each field maps to an
environment variable ``AISLE_<FIELD NAME>``; the defaults run the embedded demo
(SQLite files under ``var/``, services on localhost).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    """Run-time settings; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="AISLE_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'shop.db'}",
        description="SQLAlchemy URL of the shop database (orders, products, handoffs).",
    )
    index_dir: Path = Field(
        default=VAR_DIR / "index",
        description="Folder holding the catalog's FAISS index and id map.",
    )
    products_file: Path = Field(
        default=VAR_DIR / "demo" / "products.jsonl",
        description="Product export the catalog index is built from.",
    )
    tracker_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'rasa_tracker.db'}",
        description=(
            "SQLAlchemy URL of Rasa's tracker store, read by the review page and the dashboard "
            "(the embedded default is the SQLite store endpoints.yml configures)."
        ),
    )
    rasa_url: str = Field(
        default="http://127.0.0.1:5005",
        description="Base URL of the Rasa server the gateway talks to.",
    )
    rasa_urls: str = Field(
        default="",
        description=(
            "Comma-separated base URLs of several Rasa replicas (production profile); "
            "the gateway routes each conversation to one and fails over. Empty: rasa_url only."
        ),
    )
    redis_url: str | None = Field(
        default=None,
        description=(
            "Redis shared by several gateways (live-chat fan-out and agent presence), e.g. "
            "redis://127.0.0.1:6379/0. Unset: one gateway, everything in its own memory."
        ),
    )
    rasa_timeout_seconds: float = Field(
        default=30.0, description="How long the gateway waits for one Rasa turn."
    )
    gateway_host: str = Field(default="127.0.0.1", description="Gateway bind address.")
    gateway_port: int = Field(default=8000, description="Gateway port.")
    max_message_chars: int = Field(
        default=2000, description="Longest shopper message the gateway accepts."
    )
    rate_limit_session_messages: str = Field(
        default="30/minute",
        description="Shopper messages one conversation may send (limits notation, e.g. 30/minute).",
    )
    rate_limit_ip_messages: str = Field(
        default="300/minute", description="Shopper messages from one IP address, all conversations."
    )
    rate_limit_ip_connections: str = Field(
        default="60/minute", description="Chat websocket connections one IP address may open."
    )
    rate_limit_session_frames: str = Field(
        default="120/minute",
        description="Other websocket frames (typing) of one conversation; more are dropped.",
    )
    rate_limit_login_failures: str = Field(
        default="5/15 minutes", description="Failed agent sign-ins per email before a pause."
    )
    rate_limit_login_failures_ip: str = Field(
        default="20/15 minutes", description="Failed agent sign-ins per IP before a pause."
    )
    rate_limit_verification_failures_ip: str = Field(
        default="20/hour",
        description=(
            "Failed order checks (order number and email that do not match) from one IP "
            "address, all conversations together; over it every order check is refused."
        ),
    )
    rate_limit_exempt_ips: str = Field(
        default="127.0.0.1,::1",
        description=(
            "Comma-separated addresses per-IP limits skip (this machine's bench and tests); "
            "behind a proxy the shopper's address is taken from X-Forwarded-For."
        ),
    )
    action_urls: str = Field(
        default="",
        description=(
            "Comma-separated base URLs of the action servers, for /healthz to check "
            "(their /health/parts). Empty: not checked."
        ),
    )
    shop_origins: str = Field(
        default="",
        description=(
            "Comma-separated origins of shop pages that embed the widget (e.g. "
            "https://shop.example), allowed by CORS and the chat websocket besides the "
            "gateway's own."
        ),
    )
    agent_session_hours: float = Field(
        default=12.0, description="How long an agent stays signed in to the console."
    )
    agent_cookie_secure: bool = Field(
        default=False,
        description="Send the agent session cookie over HTTPS only (set it behind TLS).",
    )
    support_hours: str = Field(
        default="mon-sun 00:00-24:00",
        description="When agents answer, e.g. 'mon-fri 09:00-17:00, sat 10:00-14:00'.",
    )
    support_timezone: str = Field(default="UTC", description="Time zone of the support hours.")
    demo_seed: int = Field(default=42, description="Seed of the demo shop generator.")
    search_results: int = Field(default=5, description="How many products one search answer shows.")

    def action_server_urls(self) -> list[str]:
        return _split(self.action_urls)

    def allowed_shop_origins(self) -> list[str]:
        return [origin.rstrip("/") for origin in _split(self.shop_origins)]

    def rasa_replica_urls(self) -> list[str]:
        """The Rasa replicas the gateway uses, in configuration order."""
        return _split(self.rasa_urls) or [self.rasa_url]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the process-wide settings, read from the environment on first use."""
    return Settings()
