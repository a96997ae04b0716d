"""The console's look-back pages: conversation review (``/agent/review``) and the dashboard
(``/agent/dashboard``).

Both are shells like the console itself: ``review.js`` and ``dashboard.js``
read ``bot.review_routes``' JSON API and write every shopper word with
``textContent``; the charts are SVG images drawn on the server, so the pages
keep the strict Content-Security-Policy of ``bot.pages.render``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aisle.analytics_charts import CHARTS
from aisle.review import FLAGS
from bot.agent_auth import PageAgent
from bot.pages import render

router = APIRouter()

CHART_TITLES = {
    "rates": "Containment, handoff, fallback and zero-result rates",
    "intents": "User turns per intent",
    "handoff-reasons": "Handoffs by reason",
    "csat": "Satisfaction ratings",
    "latency": "Turn latency percentiles",
}


@router.get("/agent/review", response_class=HTMLResponse)
def review_page(request: Request, agent: PageAgent) -> Response:
    """Filters, the matching conversations, one conversation with relabelling and export."""
    if agent is None:
        return RedirectResponse("/agent/login", status_code=303)
    return render(request, "review.html", {"agent": agent, "filters": FLAGS})


@router.get("/agent/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, agent: PageAgent) -> Response:
    """Is the assistant helping: the figures and charts of a date range."""
    if agent is None:
        return RedirectResponse("/agent/login", status_code=303)
    charts = [(name, CHART_TITLES.get(name, name)) for name in CHARTS]
    return render(request, "dashboard.html", {"agent": agent, "charts": charts})
