/*
 * Aisle dashboard: the analytics of a date range (bot/review_routes.py) as figures,
 * tables and server-drawn SVG charts. Text is written with textContent only.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const DEFAULT_DAYS = 30;
  let loads = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(text, isError) {
    const status = $("dashboard-status");
    status.textContent = text || "";
    status.classList.toggle("error", Boolean(isError));
  }

  function day(date) { return date.toISOString().slice(0, 10); }

  function percent(rate) { return `${(rate * 100).toFixed(1)} %`; }

  function figure(name, value) {
    const box = el("div");
    box.append(el("dt", null, name), el("dd", null, value));
    return box;
  }

  function rows(target, pairs, empty) {
    const body = $(target);
    if (!pairs.length) {
      const tr = el("tr");
      tr.append(el("td", "hint", empty));
      body.replaceChildren(tr);
      return;
    }
    body.replaceChildren(...pairs.map(([name, count]) => {
      const tr = el("tr");
      tr.append(el("th", null, name), el("td", null, count));
      tr.firstChild.scope = "row";
      return tr;
    }));
  }

  function show(report) {
    const latency = report.turn_latency_ms;
    const csat = report.csat;
    const ms = (key) => (latency[key] === undefined ? "–" : `${latency[key]} ms`);
    $("figures").replaceChildren(
      figure("Conversations", report.conversations),
      figure("User turns", report.user_turns),
      figure("Containment", percent(report.containment_rate)),
      figure("Handoff rate", percent(report.handoff_rate)),
      figure("Fallback rate", percent(report.fallback_rate)),
      figure("Searches", report.searches),
      figure("Zero-result searches", percent(report.zero_result_rate)),
      figure("CSAT average", csat && csat.average !== null ? `${csat.average.toFixed(2)} / 5 (${csat.count})` : "no ratings"),
      figure("Latency p50", ms("p50")),
      figure("Latency p95", ms("p95")),
      figure("Latency p99", ms("p99")),
    );
    rows("intent-rows", Object.entries(report.intent_volume), "No user turns.");
    rows("reason-rows", Object.entries(report.handoff_reasons), "No handoffs.");
    rows("csat-rows", csat ? Object.entries(csat.distribution).map(([score, n]) => [`${score} ★`, n]) : [], "No ratings.");
  }

  async function load() {
    const params = new URLSearchParams({ start: $("dashboard-start").value, end: $("dashboard-end").value });
    setStatus("Loading…");
    try {
      const response = await fetch(`/api/agent/analytics?${params}`, { credentials: "same-origin" });
      if (response.status === 401) { window.location.assign("/agent/login"); return; }
      const body = await response.json();
      if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`);
      show(body);
      loads += 1;
      document.querySelectorAll("img[data-chart]").forEach((img) => {
        img.src = `/api/agent/analytics/charts/${img.dataset.chart}.svg?${params}&v=${loads}`;
      });
      setStatus(`${body.start} to ${body.end} (UTC)`);
    } catch (error) {
      setStatus(`Could not load the figures: ${error.message}`, true);
    }
  }

  const today = new Date();
  const first = new Date(today.getTime() - (DEFAULT_DAYS - 1) * 86400000);
  $("dashboard-end").value = day(today);
  $("dashboard-start").value = day(first);
  $("dashboard-range").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
})();
