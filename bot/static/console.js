/*
 * Aisle agent console: queue, live chat, context panel, canned replies, search.
 *
 * Data comes from the agent API (bot/handoff_routes.py) and the console
 * websocket (bot/agent_ws.py). Everything a shopper or the bot wrote is
 * rendered with textContent / createElement, never innerHTML.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const state = { current: null, socket: null, attempts: 0, typingSent: false, typingTimer: null };
  const TYPING_IDLE_MS = 3000;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(text) { $("console-status").textContent = text || ""; }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) { window.location.assign("/agent/login"); throw new Error("signed out"); }
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return response.status === 204 ? null : response.json();
  }

  function minutes(seconds) {
    const m = Math.floor(seconds / 60);
    return m < 1 ? `${seconds}s` : `${m} min`;
  }

  // --- queue ------------------------------------------------------------------

  function queueItem(item, actions) {
    const li = el("li", `queue-item status-${item.status}`);
    li.dataset.handoffId = String(item.id);
    const title = el("p", "queue-title");
    title.append(el("strong", null, `#${item.id}`), " ", el("span", "badge", item.status.replace(/_/g, " ")));
    if (item.status === "waiting") title.append(" ", el("span", "waited", `waiting ${minutes(item.waiting_seconds)}`));
    if (item.agent_name) title.append(" ", el("span", "owner", `with ${item.agent_name}`));
    li.append(title, el("p", "queue-reason", `Reason: ${item.reason.replace(/_/g, " ")}`));
    li.append(el("p", "queue-summary", item.summary));
    const buttons = el("p", "queue-actions");
    actions.forEach(([label, handler]) => {
      const button = el("button", null, label);
      button.type = "button";
      button.addEventListener("click", handler);
      buttons.appendChild(button);
    });
    li.appendChild(buttons);
    return li;
  }

  async function loadQueue() {
    const items = await api("GET", "/api/agent/queue");
    const list = $("queue");
    list.replaceChildren();
    items.forEach((item) => {
      const actions = [["Open", () => openHandoff(item.id)]];
      if (item.status === "waiting") actions.unshift([`Claim #${item.id}`, () => claim(item.id)]);
      list.appendChild(queueItem(item, actions));
    });
    $("queue-empty").hidden = items.length > 0;
  }

  async function claim(id) {
    try {
      await api("POST", `/api/agent/handoffs/${id}/claim`);
      await openHandoff(id);
      await loadQueue();
    } catch (error) { setStatus(String(error.message)); }
  }

  // --- one conversation ---------------------------------------------------------

  function chatLine(sender, text, name) {
    const line = el("p", `line from-${sender}`);
    line.append(el("span", "line-sender", name || sender), el("span", "line-text", text));
    return line;
  }

  function appendLine(sender, text, name) {
    const log = $("chat-log");
    log.appendChild(chatLine(sender, text, name));
    log.scrollTop = log.scrollHeight;
  }

  function definition(list, term, value) {
    list.append(el("dt", null, term), el("dd", null, value === null || value === undefined || value === "" ? "—" : value));
  }

  // What fired the handoff (actions/escalation.py, actions/handoff.py), in an agent's words.
  const TRIGGERS = {
    asked: "The shopper asked for a person",
    verification_limit: "Order verification failed too often",
    phrase: "Frustrated wording",
    all_caps: "A message in capitals",
    repeated_message: "The same message sent again",
    repeated_question: "The same question asked again after the bot answered it",
    fallbacks: "The bot did not understand twice in a row",
    fraud: "Sensitive topic: fraud",
    chargeback: "Sensitive topic: chargeback",
    legal: "Sensitive topic: legal",
    safety: "Sensitive topic: safety",
  };

  function renderWhy(box, detail) {
    const why = detail.escalation || {};
    const section = el("section", "why-handed-over");
    section.setAttribute("aria-labelledby", "why-heading");
    const heading = el("h3", null, "Why handed over");
    heading.id = "why-heading";
    section.appendChild(heading);
    const facts = el("dl", "facts why-facts");
    definition(facts, "Reason", detail.reason.replace(/_/g, " "));
    const trigger = why.trigger ? TRIGGERS[why.trigger] || `Failing action: ${why.trigger}` : null;
    definition(facts, "Trigger", trigger);
    if (why.matched) definition(facts, "Words", `“${why.matched}”`);
    if (why.order) definition(facts, "Order", why.order);
    if (why.failures) definition(facts, "Failed attempts", String(why.failures));
    if (why.error) definition(facts, "Error", why.error);
    section.appendChild(facts);
    const messages = Array.isArray(why.messages) ? why.messages : [];
    if (messages.length) {
      const list = el("ol", "why-messages");
      messages.forEach((text) => list.appendChild(el("li", null, text)));
      section.appendChild(list);
    }
    box.appendChild(section);
  }

  function renderContext(detail) {
    const box = $("context");
    box.replaceChildren();
    box.appendChild(el("p", "context-summary", detail.summary));
    renderWhy(box, detail);
    const facts = el("dl", "facts");
    definition(facts, "Waiting since", new Date(`${detail.created_at}Z`).toLocaleString());
    definition(facts, "Page", detail.page);
    definition(facts, "Verified order", detail.verified_order);
    definition(facts, "Actions tried", detail.actions.join(", "));
    box.appendChild(facts);

    box.appendChild(el("h3", null, "Intents"));
    const intents = el("ol", "intents");
    detail.intents.forEach((intent) => {
      const confidence = typeof intent.confidence === "number" ? ` (${Math.round(intent.confidence * 100)}%)` : "";
      intents.appendChild(el("li", null, `${intent.name || "?"}${confidence}`));
    });
    box.appendChild(intents);

    box.appendChild(el("h3", null, "Slots"));
    const slots = el("dl", "slots");
    Object.entries(detail.slots).forEach(([name, value]) => {
      if (value !== null && value !== undefined) definition(slots, name, typeof value === "string" ? value : JSON.stringify(value));
    });
    box.appendChild(slots);

    box.appendChild(el("h3", null, "Customer"));
    if (detail.customer) {
      box.appendChild(el("p", "customer", `${detail.customer.name} <${detail.customer.email}>`));
      const orders = el("ul", "orders");
      detail.customer.orders.forEach((order) => {
        orders.appendChild(el("li", null, `${order.number} · ${order.status} · ${order.currency} ${order.total}`));
      });
      box.appendChild(orders);
    } else {
      box.appendChild(el("p", "muted", "Not verified."));
    }

    box.appendChild(el("h3", null, "Products shown"));
    const products = el("ul", "products");
    detail.products_shown.forEach((product) => products.appendChild(el("li", null, `${product.title} (${product.id})`)));
    if (!detail.products_shown.length) products.appendChild(el("li", "muted", "None."));
    box.appendChild(products);
  }

  function renderChat(detail) {
    $("chat-heading").textContent = `#${detail.id} · ${detail.status.replace(/_/g, " ")}`;
    const log = $("chat-log");
    log.replaceChildren();
    log.appendChild(el("p", "divider", "With the assistant"));
    detail.transcript.forEach((line) => log.appendChild(chatLine(line.sender, line.text)));
    log.appendChild(el("p", "divider", "With a person"));
    detail.messages.forEach((m) => log.appendChild(chatLine(m.sender, m.text, m.agent_name)));
    log.scrollTop = log.scrollHeight;
    const mine = detail.status === "claimed";
    $("composer").hidden = !mine;
    $("chat-actions").hidden = !mine;
    $("canned").hidden = !mine;
    $("shopper-typing").hidden = true;
  }

  async function openHandoff(id) {
    try {
      const detail = await api("GET", `/api/agent/handoffs/${id}`);
      state.current = detail;
      renderChat(detail);
      renderContext(detail);
      setStatus("");
    } catch (error) { setStatus(String(error.message)); }
  }

  async function endCurrent(how) {
    if (!state.current) return;
    const id = state.current.id;
    try {
      if (how === "return") await api("POST", `/api/agent/handoffs/${id}/return`);
      else await api("POST", `/api/agent/handoffs/${id}/close`, { resolution: $("resolution").value });
      await openHandoff(id);
      await loadQueue();
    } catch (error) { setStatus(String(error.message)); }
  }

  // --- live -----------------------------------------------------------------------

  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(frame));
      return true;
    }
    setStatus("Not connected; reconnecting…");
    return false;
  }

  function sendTyping(on) {
    window.clearTimeout(state.typingTimer);
    if (on) state.typingTimer = window.setTimeout(() => sendTyping(false), TYPING_IDLE_MS);
    if (!state.current || on === state.typingSent) return;
    state.typingSent = on;
    send({ type: "typing", handoff_id: state.current.id, on });
  }

  function onFrame(event) {
    let frame;
    try { frame = JSON.parse(event.data); } catch (_) { return; }
    if (!frame || typeof frame !== "object") return;
    const current = state.current && frame.handoff_id === state.current.id;
    if (frame.type === "queue_changed") {
      loadQueue().catch((error) => setStatus(String(error.message)));
    } else if (frame.type === "message" && current) {
      $("shopper-typing").hidden = true;
      appendLine(frame.sender, frame.text, frame.agent_name);
    } else if (frame.type === "typing" && current) {
      $("shopper-typing").hidden = !frame.on;
    } else if (frame.type === "error") {
      setStatus(String(frame.message));
    }
  }

  function connect() {
    const url = new URL("/agent/ws", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url.href);
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.attempts = 0;
      setStatus("");
      loadQueue().catch(() => {});
    });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return;
      state.socket = null;
      setStatus("Connection lost. Reconnecting…");
      const delay = Math.min(30000, 1000 * 2 ** state.attempts);
      state.attempts += 1;
      window.setTimeout(connect, delay);
    });
  }

  // --- wiring -----------------------------------------------------------------------

  async function loadCanned() {
    const replies = await api("GET", "/api/agent/canned-replies");
    const box = $("canned");
    replies.forEach((reply) => {
      const button = el("button", "canned-reply", reply.title);
      button.type = "button";
      button.title = reply.text;
      button.addEventListener("click", () => {
        const input = $("reply");
        input.value = input.value ? `${input.value} ${reply.text}` : reply.text;
        input.focus();
      });
      box.appendChild(button);
    });
  }

  async function search(event) {
    event.preventDefault();
    const q = $("search-input").value.trim();
    if (q.length < 2) return;
    try {
      const items = await api("GET", `/api/agent/search?q=${encodeURIComponent(q)}`);
      const list = $("search-results");
      list.replaceChildren();
      items.forEach((item) => list.appendChild(queueItem(item, [["Open", () => openHandoff(item.id)]])));
      if (!items.length) list.appendChild(el("li", "note", "No closed conversation matches."));
    } catch (error) { setStatus(String(error.message)); }
  }

  function start() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("reply");
      const text = input.value.trim();
      if (!text || !state.current) return;
      if (send({ type: "agent_message", handoff_id: state.current.id, text })) {
        input.value = "";
        state.typingSent = false;
        window.clearTimeout(state.typingTimer);
      }
    });
    $("reply").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
    });
    $("reply").addEventListener("input", () => sendTyping($("reply").value !== ""));
    $("hand-back").addEventListener("click", () => endCurrent("return"));
    $("close-handoff").addEventListener("click", () => endCurrent("close"));
    $("search-form").addEventListener("submit", search);
    $("logout").addEventListener("click", async () => {
      await fetch("/api/agent/logout", { method: "POST", credentials: "same-origin" });
      window.location.assign("/agent/login");
    });
    window.setInterval(() => { loadQueue().catch(() => {}); }, 30000); // waiting times move on
    loadCanned().catch((error) => setStatus(String(error.message)));
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
  else start();
})();
