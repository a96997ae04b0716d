"""The shopper's CSAT answer: ``POST /api/conversations/{id}/csat``.

The widget asks for a 1-5 rating when a conversation ends (a ``csat_request``
payload: the bot's goodbye, or an agent closing a handoff) and posts the answer
here. The shopper proves the conversation is theirs the way every widget call
does: by its id, a random UUID only their browser holds (``bot.chat``). The
ending must really have happened (Rasa's tracker holds the goodbye's request;
the shop database holds the closed handoff), so nobody can rate an ending that
never was, and each ending is rated once: a second answer is refused (409).
The comment is stored redacted (``aisle.csat``) and is never shown back as HTML.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aisle.csat import record_rating
from aisle.models import CsatRating, Handoff
from bot.chat import check_conversation_id
from bot.deps import RasaDep, SettingsDep
from bot.rasa_client import RasaError
from bot.rasa_pool import RasaPool
from bot.schemas import CsatReceipt, CsatRequest, CsatSubmission
from bot.store import DatabaseUnavailable, database_session

logger = logging.getLogger(__name__)

router = APIRouter()

NOT_ENDED = "This conversation has not ended that way, so there is nothing to rate yet."
ALREADY_RATED = "You have already rated this conversation. Thank you!"
UNAVAILABLE = "Your rating cannot be saved right now. Please try again in a moment."


class AlreadyRated(Exception):
    """The ending has a rating already."""


class NotEnded(Exception):
    """The conversation never reached the ending the shopper rates."""


@router.post(
    "/api/conversations/{conversation_id}/csat",
    status_code=status.HTTP_201_CREATED,
    response_model=CsatReceipt,
    responses={
        409: {"description": "The ending did not happen, or it is rated already"},
        422: {"description": "Bad rating, comment, trigger or conversation id"},
        503: {"description": "The database or Rasa is unreachable; nothing was stored"},
    },
)
async def rate_conversation(
    conversation_id: str, answer: CsatSubmission, settings: SettingsDep, rasa: RasaDep
) -> CsatReceipt:
    """Stores the shopper's rating (1-5) and optional comment of one ending."""
    check_conversation_id(conversation_id)
    try:
        if answer.trigger == "goodbye" and not await _said_goodbye(rasa, conversation_id):
            raise NotEnded
        await run_in_threadpool(_store, settings.database_url, conversation_id, answer)
    except NotEnded as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, NOT_ENDED) from exc
    except AlreadyRated as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, ALREADY_RATED) from exc
    except (RasaError, DatabaseUnavailable) as exc:
        logger.warning("CSAT of %s not stored: %s", conversation_id, exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE) from exc
    return CsatReceipt(
        trigger=answer.trigger, rating=answer.rating, message="Thanks for your rating!"
    )


async def _said_goodbye(rasa: RasaPool, conversation_id: str) -> bool:
    """Tells whether the bot asked this conversation for a goodbye rating (its tracker says)."""
    events = await rasa.tracker_events(conversation_id)
    return any(_asks_for(event, "goodbye") for event in events)


def _asks_for(event: dict[str, Any], trigger: str) -> bool:
    data = event.get("data")
    if event.get("event") != "bot" or not isinstance(data, dict):
        return False
    try:
        return CsatRequest.model_validate(data.get("custom")).trigger == trigger
    except ValidationError:
        return False


def _store(database_url: str, conversation_id: str, answer: CsatSubmission) -> None:
    """Records the rating unless the ending is missing or rated (checked in one transaction)."""
    with database_session(database_url) as session:
        if answer.trigger == "handoff_closed" and not session.scalar(
            select(Handoff.id)
            .where(Handoff.conversation_id == conversation_id)
            .where(Handoff.status == "closed")
            .where(Handoff.resolution != "ticket")  # the shopper left a message: no one helped yet
            .limit(1)
        ):
            raise NotEnded
        rated = select(CsatRating.id).where(
            CsatRating.conversation_id == conversation_id, CsatRating.trigger == answer.trigger
        )
        if session.scalar(rated) is not None:
            raise AlreadyRated
        try:
            record_rating(session, conversation_id, answer.rating, answer.comment, answer.trigger)
        except IntegrityError as exc:  # the same answer, sent twice at once
            raise AlreadyRated from exc
