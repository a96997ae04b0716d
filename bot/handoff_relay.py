"""The live part of a handoff: who hears what while a person has the conversation.

A shopper's turn goes to the bot unless their conversation has an open
handoff; then the message is stored, relayed to the claiming agent and
recorded in Rasa's tracker while that tracker is paused, so Rasa keeps the
context but answers nothing (and any answer is dropped here too). Agents'
messages go to the shopper's widget and into the tracker as ``bot`` events.
Handing back or closing appends Rasa's ``resume`` event: the bot answers the
next message with the slots as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.requests import HTTPConnection

from aisle import business_hours
from aisle.settings import Settings
from bot import handoff_store, store
from bot.agent_schemas import (
    AgentView,
    LiveMessage,
    LiveMessageEvent,
    QueueChanged,
    ShopperTypingEvent,
)
from bot.chat import Channel, relay
from bot.deps import app_settings, rasa_client
from bot.handoff_store import OpenHandoff
from bot.live_chat import LiveHub, live_hub
from bot.rasa_client import RasaError
from bot.rasa_pool import RasaPool
from bot.schemas import (
    AgentMessageEnvelope,
    BotMessage,
    BotMessageEnvelope,
    CsatRequest,
    HandoffEnvelope,
    ShopperMessage,
    TicketRequest,
    TypingEnvelope,
)

logger = logging.getLogger(__name__)


@dataclass
class TurnResult:
    """What the shopper who sent a message gets back on their own connection."""

    answers: list[BotMessage]
    handoff: HandoffEnvelope | None = None


@dataclass
class HandoffRelay:
    """Ties the database, Rasa and the live sockets together for one request."""

    settings: Settings
    rasa: RasaPool
    hub: LiveHub

    @property
    def _db(self) -> str:
        return self.settings.database_url

    # --- shopper side -------------------------------------------------------

    async def shopper_turn(
        self,
        conversation_id: str,
        message: ShopperMessage,
        channel: Channel,
        client_ip: str | None = None,
    ) -> TurnResult:
        """Runs one shopper message: to the bot, or to the person who has the chat.

        ``client_ip`` (the shopper's address) goes to Rasa with the message.
        """
        stored = await self._record_if_handed_off(conversation_id, message.text)
        if stored is not None:
            handoff, live = stored
            await self._record_in_rasa(conversation_id, message, channel)
            await self._tell_agents(handoff, live)
            return TurnResult(answers=[])
        answers = await relay(self.rasa, conversation_id, message, channel, client_ip)
        started = await self._open_handoff(conversation_id)
        if started is None:
            return TurnResult(answers=answers)
        await self._pause(conversation_id)
        await self.hub.to_all_agents(QueueChanged())
        await self.refresh_waiting_shoppers(skip=conversation_id)  # it gets its own answer
        return TurnResult(answers=answers, handoff=await self.envelope(started))

    async def shopper_typing(self, conversation_id: str, on: bool) -> None:
        """Shows the claiming agent that the shopper is typing."""
        handoff = await self._open_handoff(conversation_id)
        if handoff is not None and handoff.status == "claimed" and handoff.agent_id is not None:
            await self.hub.to_agent(
                handoff.agent_id, ShopperTypingEvent(handoff_id=handoff.id, on=on)
            )

    async def is_handed_off(self, conversation_id: str) -> bool:
        """Tells whether a person owns the conversation now (the bot must stay silent)."""
        return await self._open_handoff(conversation_id) is not None

    async def current_envelope(self, conversation_id: str) -> HandoffEnvelope | None:
        """The open handoff's state, for a widget that (re)connects mid-handoff."""
        handoff = await self._open_handoff(conversation_id)
        return await self.envelope(handoff) if handoff else None

    async def envelope(self, handoff: OpenHandoff) -> HandoffEnvelope:
        """Tells the shopper honestly where their handoff stands."""
        if handoff.status == "claimed":
            name = handoff.agent_name or "A person"
            text = f"{name} from the support team has joined the chat."
            return HandoffEnvelope(
                handoff_id=handoff.id, status="claimed", message=text, agent_name=name
            )
        online = await self.hub.agents_online()
        wait = await run_in_threadpool(
            handoff_store.expected_wait_minutes, self._db, handoff.queue_position, online
        )
        if not self._within_support_hours():
            return self._offline_envelope(
                handoff,
                f"Our support team works {self.settings.support_hours}"
                f" ({self.settings.support_timezone}), so nobody can answer right now.",
            )
        if not online:
            return self._offline_envelope(
                handoff,
                f"No agent is online right now. You're number {handoff.queue_position} in the"
                " queue; a person will answer here as soon as one signs in.",
            )
        text = (
            f"You're number {handoff.queue_position} in the queue for a person; the expected"
            f" wait is about {wait} minute{'s' if wait != 1 else ''}. You can keep typing here."
        )
        return HandoffEnvelope(
            handoff_id=handoff.id,
            status="waiting",
            message=text,
            queue_position=handoff.queue_position,
            expected_wait_minutes=wait,
        )

    def _within_support_hours(self) -> bool:
        return business_hours.is_open(self.settings.support_hours, self.settings.support_timezone)

    def _offline_envelope(self, handoff: OpenHandoff, why: str) -> HandoffEnvelope:
        """Nobody can answer live: say so, and offer a ticket instead of a dead wait."""
        return HandoffEnvelope(
            handoff_id=handoff.id,
            status="waiting",
            message=f"{why} Leave your email and a message and we'll reply by email.",
            queue_position=handoff.queue_position,
            ticket_form=True,
        )

    async def leave_ticket(self, conversation_id: str, ticket: TicketRequest) -> HandoffEnvelope:
        """Stores the ticket, ends the wait and gives the conversation back to the bot."""
        ticket_id, handoff_id = await run_in_threadpool(
            handoff_store.create_ticket, self._db, conversation_id, ticket.email, ticket.message
        )
        await self._append(conversation_id, [{"event": "resume"}])
        await self.hub.to_all_agents(QueueChanged())
        await self.refresh_waiting_shoppers()
        text = (
            f"Thanks! We've created ticket #{ticket_id} and will reply to {ticket.email.strip()}."
            " The assistant is here meanwhile."
        )
        envelope = HandoffEnvelope(
            handoff_id=handoff_id, status="closed", message=text, ticket_id=ticket_id
        )
        await self.hub.to_shopper(conversation_id, envelope)
        return envelope

    async def refresh_waiting_shoppers(self, skip: str | None = None) -> None:
        """Sends every waiting shopper (but ``skip``) their new queue position and wait."""
        waiting = await run_in_threadpool(handoff_store.queue, self._db)
        for item in waiting:
            if item.status != "waiting" or item.conversation_id == skip:
                continue
            handoff = await self._open_handoff(item.conversation_id)
            if handoff is not None:
                await self.hub.to_shopper(item.conversation_id, await self.envelope(handoff))

    # --- agent side ---------------------------------------------------------

    async def claim(self, handoff_id: int, agent: AgentView) -> None:
        """The agent takes the handoff; the shopper is told who joined."""
        handoff = await run_in_threadpool(handoff_store.claim, self._db, handoff_id, agent)
        await self.hub.to_shopper(handoff.conversation_id, await self.envelope(handoff))
        await self.hub.to_all_agents(QueueChanged())
        await self.refresh_waiting_shoppers()

    async def send(self, handoff_id: int, agent: AgentView, text: str) -> LiveMessage:
        """Stores the agent's message, shows it to the shopper, records it in Rasa."""
        conversation_id, live = await run_in_threadpool(
            handoff_store.add_agent_message, self._db, handoff_id, agent, text
        )
        await self.hub.to_shopper(
            conversation_id, AgentMessageEnvelope(text=text, agent_name=agent.name)
        )
        await self.hub.to_shopper(conversation_id, TypingEnvelope(on=False, agent_name=agent.name))
        await self.hub.to_agent(agent.id, LiveMessageEvent(**live.model_dump()))
        bot_event = {
            "event": "bot",
            "text": text,
            "metadata": {"sender": "agent", "agent_name": agent.name, "handoff_id": handoff_id},
        }
        await self._append(conversation_id, [bot_event])
        return live

    async def agent_typing(self, handoff_id: int, agent: AgentView, on: bool) -> None:
        conversation_id = await run_in_threadpool(
            handoff_store.check_agent_may_type, self._db, handoff_id, agent
        )
        await self.hub.to_shopper(conversation_id, TypingEnvelope(on=on, agent_name=agent.name))

    async def end(
        self,
        handoff_id: int,
        agent: AgentView,
        how: Literal["return", "close"],
        resolution: str | None = None,
    ) -> None:
        """Hands back to the bot or closes; either way the bot answers the next message."""
        conversation_id = await run_in_threadpool(
            handoff_store.end, self._db, handoff_id, agent, how, resolution
        )
        await self._append(conversation_id, [{"event": "resume"}])
        if how == "return":
            text = f"{agent.name} handed you back to the assistant. Ask me anything."
        else:
            text = (
                f"{agent.name} closed this chat. The assistant is here if you need anything else."
            )
        status: Literal["returned_to_bot", "closed"] = (
            "returned_to_bot" if how == "return" else "closed"
        )
        await self.hub.to_shopper(
            conversation_id,
            HandoffEnvelope(handoff_id=handoff_id, status=status, message=text),
        )
        if how == "close":  # the conversation ended: the widget asks for a rating
            csat = CsatRequest(trigger="handoff_closed").model_dump()
            await self.hub.to_shopper(conversation_id, BotMessageEnvelope(custom=csat))
        await self.hub.to_all_agents(QueueChanged())
        await self.refresh_waiting_shoppers()

    # --- helpers ------------------------------------------------------------

    async def _open_handoff(self, conversation_id: str) -> OpenHandoff | None:
        try:
            return await run_in_threadpool(handoff_store.open_handoff, self._db, conversation_id)
        except store.DatabaseUnavailable:
            logger.warning("Cannot tell whether %s is handed off: no database", conversation_id)
            return None

    async def _record_if_handed_off(
        self, conversation_id: str, text: str
    ) -> tuple[OpenHandoff, LiveMessage] | None:
        try:
            return await run_in_threadpool(
                handoff_store.record_shopper_message, self._db, conversation_id, text
            )
        except store.DatabaseUnavailable:
            logger.warning("Cannot tell whether %s is handed off: no database", conversation_id)
            return None

    async def _tell_agents(self, handoff: OpenHandoff, live: LiveMessage) -> None:
        if handoff.status == "claimed" and handoff.agent_id is not None:
            await self.hub.to_agent(
                handoff.agent_id, ShopperTypingEvent(handoff_id=handoff.id, on=False)
            )
            await self.hub.to_agent(handoff.agent_id, LiveMessageEvent(**live.model_dump()))
        else:
            await self.hub.to_all_agents(QueueChanged())

    async def _record_in_rasa(
        self, conversation_id: str, message: ShopperMessage, channel: Channel
    ) -> None:
        """Rasa records the message (with its NLU parse) but, paused, runs no action."""
        try:
            if not await self.rasa.is_paused(conversation_id):
                await self.rasa.append_events(conversation_id, [{"event": "pause"}])
            dropped = await relay(self.rasa, conversation_id, message, channel)
        except Exception as exc:  # the agent has the message; the tracker copy is a bonus
            logger.warning("Rasa did not record %s's message: %s", conversation_id, exc)
            return
        if dropped:
            logger.error(
                "Rasa answered %s during a handoff; the answer was dropped", conversation_id
            )

    async def _pause(self, conversation_id: str) -> None:
        await self._append(conversation_id, [{"event": "pause"}])

    async def _append(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        try:
            await self.rasa.append_events(conversation_id, events)
        except RasaError as exc:
            logger.warning("Could not append %s to %s's tracker: %s", events, conversation_id, exc)


def handoff_relay(connection: HTTPConnection) -> HandoffRelay:
    """Builds the relay from the app's settings, Rasa client and hub."""
    return HandoffRelay(app_settings(connection), rasa_client(connection), live_hub(connection))


RelayDep = Annotated[HandoffRelay, Depends(handoff_relay)]
