"""The dashboard's charts: SVG images of an ``Analytics`` report, drawn with matplotlib.

Drawn on the server so the console's strict Content-Security-Policy (no
inline script or style, scripts only from the gateway) needs no exception: a
chart is an ``<img>`` like any other. Only matplotlib's object-oriented API is
used (a ``Figure`` per chart, never pyplot's global state), and each bar
carries an SVG id ``bar-<label>`` so tests can measure what was drawn.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from aisle.analytics import Analytics

BAR_COLOUR = "#0969da"
MAX_INTENTS = 15
"""The intent chart shows the busiest ones; the page's table lists them all."""

_lock = threading.Lock()  # matplotlib's font cache and text layout are not meant for threads


def rates(figures: Analytics) -> Figure:
    """Containment, handoff, fallback and zero-result rates, in per cent."""
    values = {
        "containment": figures.containment_rate * 100,
        "handoff": figures.handoff_rate * 100,
        "fallback": figures.fallback_rate * 100,
        "zero results": figures.zero_result_rate * 100,
    }
    figure, axes = _figure("Rates (%)")
    if figures.conversations:
        _bars(axes, values, horizontal=True, unit="%")
        axes.set_xlim(0, 100)
    else:
        _no_data(axes)
    return figure


def intents(figures: Analytics) -> Figure:
    """User turns per intent, busiest first."""
    volume = dict(list(figures.intent_volume.items())[:MAX_INTENTS])
    figure, axes = _figure("User turns per intent", height=max(2.4, 0.32 * len(volume) + 1))
    if volume:
        _bars(axes, volume, horizontal=True)
    else:
        _no_data(axes)
    return figure


def handoff_reasons(figures: Analytics) -> Figure:
    """Hand-overs by what the shopper's last message was about."""
    reasons = dict(sorted(figures.handoff_reasons.items(), key=lambda item: -item[1]))
    figure, axes = _figure("Handoffs by reason", height=max(2.4, 0.32 * len(reasons) + 1))
    if reasons:
        _bars(axes, reasons, horizontal=True)
    else:
        _no_data(axes)
    return figure


def latency(figures: Analytics) -> Figure:
    """Turn latency percentiles in milliseconds."""
    figure, axes = _figure("Turn latency (ms)")
    if figures.turn_latency_ms:
        _bars(axes, figures.turn_latency_ms, horizontal=False, unit=" ms")
    else:
        _no_data(axes)
    return figure


def csat(figures: Analytics) -> Figure:
    """How many shoppers gave each rating, 1 to 5."""
    summary = figures.csat
    title = "Satisfaction ratings"
    if summary is not None and summary.average is not None:
        title += f" (average {summary.average:.2f} of {summary.count})"
    figure, axes = _figure(title)
    if summary is not None and summary.count:
        distribution = {str(rating): summary.distribution.get(rating, 0) for rating in range(1, 6)}
        _bars(axes, distribution, horizontal=False)
    else:
        _no_data(axes)
    return figure


CHARTS: dict[str, Callable[[Analytics], Figure]] = {
    "rates": rates,
    "intents": intents,
    "handoff-reasons": handoff_reasons,
    "latency": latency,
    "csat": csat,
}


def render_svg(name: str, figures: Analytics) -> bytes:
    """The chart called ``name`` (a key of ``CHARTS``) as an SVG document."""
    with _lock:
        figure = CHARTS[name](figures)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _figure(title: str, height: float = 2.6) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(6.0, height), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=11, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _bars(axes: Axes, values: Mapping[str, float], horizontal: bool, unit: str = "") -> None:
    labels: Sequence[str] = list(values)
    heights = [float(values[label]) for label in labels]
    if all(float(value).is_integer() for value in heights):  # counts: no 0.25 of a turn
        (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    if horizontal:
        bars = axes.barh(labels, heights, color=BAR_COLOUR)
        axes.invert_yaxis()  # the first (largest) on top, as read
    else:
        bars = axes.bar(labels, heights, color=BAR_COLOUR)
    for bar, label in zip(bars, labels, strict=True):
        bar.set_gid(f"bar-{label.replace(' ', '_')}")
    axes.bar_label(bars, labels=[f"{h:g}{unit}" for h in heights], padding=2, fontsize=8)
    axes.tick_params(labelsize=8)


def _no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "No data in this range", ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()
