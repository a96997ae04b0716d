"""Server-rendered HTML pages: the demo shop (``/``) and the agent page (``/agent``).

Templates are rendered by a Jinja2 environment with autoescaping on for every
template whatever its extension, because both pages show text that came from
shoppers or the catalog. Pages load no inline script or style, so a strict
Content-Security-Policy can back the escaping up.
"""

from __future__ import annotations

import logging
from pathlib import Path as FilePath
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from aisle.handoffs import RESOLUTIONS
from bot import store
from bot.agent_auth import PageAgent
from bot.deps import SettingsDep

logger = logging.getLogger(__name__)

PRODUCT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
TEMPLATES_DIR = FilePath(__file__).resolve().parent / "templates"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; connect-src 'self' ws: wss:; "
    "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def shop_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The demo shop: best-rated products and the chat widget."""
    note = None
    try:
        products = store.featured_products(settings.database_url)
    except store.DatabaseUnavailable:
        products = []
        note = "The shop database is not available yet, so no products are shown."
    if not products and note is None:
        note = "The shop has no products yet: seed the demo database and reload."
    context = {
        "products": products,
        "note": note,
        "max_message_chars": settings.max_message_chars,
    }
    return render(request, "shop.html", context)


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request,
    settings: SettingsDep,
    product_id: Annotated[str, Path(pattern=PRODUCT_ID_PATTERN)],
) -> HTMLResponse:
    """One product with sizes and colours in stock: where the widget's cards link to."""
    try:
        product = store.product_detail(settings.database_url, product_id)
    except store.DatabaseUnavailable as error:
        raise HTTPException(503, "The shop database is not available.") from error
    if product is None:
        raise HTTPException(404, "No such product.")
    context = {"product": product, "max_message_chars": settings.max_message_chars}
    return render(request, "product.html", context)


@router.get("/agent/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The agents' sign-in form (``login.js`` posts it as JSON)."""
    return render(request, "login.html", {})


@router.get("/agent", response_class=HTMLResponse)
def agent_page(request: Request, agent: PageAgent) -> Response:
    """The agent console for signed-in agents; others go to the login page.

    The page is a shell: ``console.js`` reads the queue and conversations from
    the agent API, so shopper text never passes through a template here.
    """
    if agent is None:
        return RedirectResponse("/agent/login", status_code=303)
    return render(request, "console.html", {"agent": agent, "resolutions": RESOLUTIONS})


def render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    """Renders a template with the security headers every page gets."""
    response = templates.TemplateResponse(request, name, context)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
