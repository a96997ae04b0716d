"""Generated placeholder product images: ``GET /demo/images/{product_id}.svg``.

The demo shop has no photos and runs offline, so each product gets a coloured
tile whose hue derives from its id (stable across runs) and whose label is the
first word of its category. The label comes from the database, so it is
XML-escaped: an SVG opened on its own is a document that could run scripts.
"""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape

from fastapi import APIRouter, HTTPException, Response, status

from bot import store
from bot.deps import SettingsDep

router = APIRouter()

PRODUCT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

_SVG_HEADERS = {
    "Cache-Control": "public, max-age=86400",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}

_SVG_TEMPLATE = """\
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" \
role="img" aria-label="{label}">
<rect width="400" height="400" fill="hsl({hue}, 55%, 62%)"/>
<rect x="24" y="24" width="352" height="352" rx="24" fill="hsl({hue}, 60%, 72%)"/>
<text x="200" y="215" font-family="system-ui, sans-serif" font-size="40" font-weight="600" \
fill="hsl({hue}, 45%, 22%)" text-anchor="middle">{label}</text>
</svg>
"""


@router.get("/demo/images/{product_id}.svg", response_class=Response)
def product_image(product_id: str, settings: SettingsDep) -> Response:
    """Serves the placeholder image of one product; 404 for an unknown id."""
    if not PRODUCT_ID_PATTERN.fullmatch(product_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such product.")
    try:
        category = store.product_category(settings.database_url, product_id)
    except store.DatabaseUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "The shop database is not reachable."
        ) from exc
    if category is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such product.")
    return Response(
        placeholder_svg(product_id, category), media_type="image/svg+xml", headers=_SVG_HEADERS
    )


def placeholder_svg(product_id: str, category: str) -> str:
    """Renders the tile of one product."""
    words = category.split()
    label = words[0] if words else "Product"
    # The label lands in text and in a double-quoted attribute, so quotes are escaped too.
    safe_label = escape(label, {'"': "&quot;", "'": "&apos;"})
    return _SVG_TEMPLATE.format(hue=hue_for(product_id), label=safe_label)


def hue_for(product_id: str) -> int:
    """A hue in [0, 360) that is the same for an id in every process (unlike ``hash``)."""
    digest = hashlib.sha256(product_id.encode()).digest()
    return int.from_bytes(digest[:2], "big") % 360
