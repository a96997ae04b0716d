"""FastAPI dependencies that hand routes the app's settings and Rasa client.

Both are created once by ``create_app`` and kept on ``app.state``; reading
them through dependencies (never module globals) lets tests build several apps
with different settings side by side.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.requests import HTTPConnection

from aisle.settings import Settings
from bot.rasa_pool import RasaPool


def app_settings(connection: HTTPConnection) -> Settings:
    """Returns the settings the app was created with."""
    settings: Settings = connection.app.state.settings
    return settings


def rasa_client(connection: HTTPConnection) -> RasaPool:
    """Returns the app's Rasa client (opened by the lifespan)."""
    rasa: RasaPool = connection.app.state.rasa
    return rasa


SettingsDep = Annotated[Settings, Depends(app_settings)]
RasaDep = Annotated[RasaPool, Depends(rasa_client)]
