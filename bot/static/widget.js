/*
 * Aisle chat widget: a launcher button and a chat panel, in a shadow root so
 * the shop's CSS and ours cannot clash.
 *
 * Include with:
 *   <script src="/static/widget.js" defer data-socket-path="/ws"
 *           data-title="Aisle" data-max-chars="2000"></script>
 * (data-api-path, default "/api", is where CSAT ratings are posted.)
 *
 * Protocol: see bot/ws.py. While a person has the chat (a "handoff" frame with
 * status waiting or claimed) their messages show as "agent" bubbles and the
 * shopper's typing is sent to them. A bot message whose custom payload is
 * {type: "csat_request", trigger} (the goodbye, an agent closing a handoff) asks
 * for a 1-5 rating, posted to <data-api-path>/conversations/<id>/csat.
 * Everything a message carries is rendered with textContent / createElement,
 * never as HTML, and only http(s) or site-relative URLs become links or images.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const data = (script && script.dataset) || {};
  const config = {
    socketPath: data.socketPath || "/ws",
    apiPath: data.apiPath || "/api",
    title: data.title || "Aisle",
    maxChars: Number(data.maxChars) || 2000,
    greeting: data.greeting || "",
    accent: data.accent || "", // any CSS colour; white text must be readable on it
    position: data.position === "left" ? "left" : "right",
    cssUrl: new URL("widget.css", (script && script.src) || window.location.href).href,
  };
  if (!config.greeting) config.greeting = `Hi! I'm ${config.title}. Ask me about products, orders or returns.`;
  const STORAGE_KEY = "aisle.conversation_id";
  const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
  const MAX_BACKOFF_MS = 30000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  // Errors after which the shopper's text goes back into the input, so nothing is lost.
  const RESTORE_ON = new Set([
    "assistant_unavailable", "assistant_error", "internal_error",
    "message_too_long", "metadata_too_large", "invalid_message",
  ]);

  // --- small helpers ---------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let memoryId = null; // used when localStorage is blocked
  function hasConversation() {
    try { return ID_PATTERN.test(window.localStorage.getItem(STORAGE_KEY) || ""); } catch (_) { return false; }
  }

  function conversationId(renew) {
    let id = null;
    try { id = window.localStorage.getItem(STORAGE_KEY); } catch (_) { id = memoryId; }
    if (renew || !id || !ID_PATTERN.test(id)) {
      id = randomId();
      memoryId = id;
      try { window.localStorage.setItem(STORAGE_KEY, id); } catch (_) { /* memory only */ }
    }
    return id;
  }

  /** Returns an absolute http(s) URL for value, or null (javascript:, data:, junk). */
  function safeUrl(value) {
    if (typeof value !== "string" || value === "") return null;
    try {
      const url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function formatPrice(price, currency) {
    const amount = Number(price);
    if (!Number.isFinite(amount)) return String(price);
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" }).format(amount);
    } catch (_) {
      return `${currency || ""} ${amount.toFixed(2)}`.trim();
    }
  }

  function chatIcon() {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  // --- DOM -------------------------------------------------------------------

  function buildUi() {
    const host = el("div");
    host.id = "aisle-widget";
    host.style.visibility = "hidden"; // until widget.css has loaded
    const root = host.attachShadow({ mode: "open" });

    const css = el("link");
    css.rel = "stylesheet";
    css.href = config.cssUrl;
    const reveal = () => { host.style.visibility = ""; };
    css.addEventListener("load", reveal);
    css.addEventListener("error", reveal);

    const wrapper = el("div", `aisle ${config.position}`);
    if (config.accent && window.CSS && CSS.supports("color", config.accent)) {
      wrapper.style.setProperty("--accent", config.accent);
      wrapper.style.setProperty("--accent-dark", `color-mix(in srgb, ${config.accent} 80%, black)`);
    }
    const launcher = el("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", `Open the ${config.title} shopping assistant`);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "aisle-panel");
    launcher.appendChild(chatIcon());
    const badge = el("span", "badge");
    badge.hidden = true;
    badge.setAttribute("aria-hidden", "true"); // the count is in the button's name
    launcher.appendChild(badge);

    const panel = el("section", "panel");
    panel.id = "aisle-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", `${config.title} shopping assistant`);

    const header = el("header", "panel-header");
    const heading = el("div", "heading");
    const title = el("h2", "title", config.title);
    const presence = el("span", "presence connecting", "Connecting…");
    heading.append(title, presence);
    const restart = el("button", "restart", "New conversation");
    restart.type = "button";
    const close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    const tools = el("div", "tools");
    tools.append(restart, close);
    header.append(heading, tools);

    const status = el("p", "status");
    status.setAttribute("role", "status");
    status.hidden = true;

    const log = el("div", "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");

    const typing = el("div", "typing");
    typing.hidden = true;
    typing.setAttribute("aria-label", `${config.title} is typing`);
    typing.append(el("span"), el("span"), el("span"));

    const form = el("form", "composer");
    const label = el("label", "visually-hidden", "Message");
    label.htmlFor = "aisle-input";
    const input = el("input", "input");
    input.id = "aisle-input";
    input.type = "text";
    input.autocomplete = "off";
    input.maxLength = config.maxChars;
    input.placeholder = "Ask about products, orders, returns…";
    const send = el("button", "send", "Send");
    send.type = "submit";
    form.append(label, input, send);

    panel.append(header, status, log, typing, form);
    wrapper.append(launcher, panel);
    root.append(css, wrapper);
    document.body.appendChild(host);
    return { launcher, badge, panel, restart, close, presence, status, log, typing, form, input };
  }

  // --- widget ----------------------------------------------------------------

  let ui = null; // set by start()
  let socket = null;
  let synced = false; // the current socket has sent the history: pending messages may go
  let sentHere = new Set(); // ids of pending messages sent on the current socket
  let attempts = 0;
  let reconnectTimer = null;
  let wanted = false; // the widget has connected once: keep it connected
  const outbox = []; // ticket frames made while disconnected, sent on reconnect
  let shown = []; // signatures of the conversation's messages in the log, in order
  let lastTyped = "";
  let withPerson = false; // a person (not the bot) has the conversation
  let typingSent = false;
  let typingTimer = null;
  const TYPING_IDLE_MS = 3000;

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function addBubble(role, text) {
    const bubble = el("p", `bubble ${role}`, text);
    ui.log.appendChild(bubble);
    scrollDown();
    return bubble;
  }

  function addNote(text, kind) {
    ui.log.appendChild(el("p", `note ${kind || ""}`.trim(), text));
    scrollDown();
  }

  function setStatus(text) {
    ui.status.textContent = text || "";
    ui.status.hidden = !text;
  }

  function addImage(src) {
    const img = el("img", "bubble-image");
    img.src = src;
    img.alt = "";
    img.loading = "lazy";
    ui.log.appendChild(img);
  }

  function productCard(product) {
    const card = el("li", "card");
    const image = safeUrl(product.image_url);
    if (image) {
      const img = el("img", "card-image");
      img.src = image;
      img.alt = "";
      img.loading = "lazy";
      card.appendChild(img);
    }
    const link = safeUrl(product.url);
    const title = el(link ? "a" : "span", "card-title", product.title);
    if (link) {
      title.href = link;
      title.target = "_blank";
      title.rel = "noopener noreferrer";
    }
    card.appendChild(title);
    const meta = el("p", "card-meta");
    meta.appendChild(el("span", "card-price", formatPrice(product.price, product.currency)));
    if (typeof product.rating === "number") {
      const rating = el("span", "card-rating", `★ ${product.rating.toFixed(1)}`);
      rating.setAttribute("aria-label", `Rated ${product.rating.toFixed(1)} out of 5`);
      meta.appendChild(rating);
    }
    card.appendChild(meta);
    const inStock = product.in_stock !== false;
    card.appendChild(el("span", `stock ${inStock ? "in" : "out"}`, inStock ? "In stock" : "Out of stock"));
    if (Array.isArray(product.buttons) && product.buttons.length) card.appendChild(cardButtons(product));
    return card;
  }

  /** "More like this" / "Details": each sends its payload, shown as the button's title and the product. */
  function cardButtons(product) {
    const group = el("div", "card-buttons");
    product.buttons.forEach((button) => {
      if (!button || typeof button.payload !== "string") return;
      const title = String(button.title || button.payload);
      const node = el("button", "card-button", title);
      node.type = "button";
      node.setAttribute("aria-label", `${title}: ${String(product.title || "")}`);
      node.addEventListener("click", () => submit(button.payload, `${title}: ${String(product.title || "")}`, { quick_reply: true }));
      group.appendChild(node);
    });
    return group;
  }

  function addProductCards(products) {
    const list = el("ul", "carousel");
    list.setAttribute("aria-label", "Products");
    products.forEach((product) => {
      if (product && typeof product === "object") list.appendChild(productCard(product));
    });
    ui.log.appendChild(list);
    scrollDown();
  }

  /** A side-by-side table: one column per product, one row per attribute (all text, never HTML). */
  function addComparison(comparison) {
    const products = comparison.products.filter((p) => p && typeof p === "object");
    const table = el("table", "comparison");
    table.appendChild(el("caption", null, "Comparison"));
    const head = el("tr");
    head.appendChild(el("td"));
    products.forEach((product) => {
      const th = el("th", null, String(product.title || ""));
      th.scope = "col";
      head.appendChild(th);
    });
    const thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    const body = el("tbody");
    (Array.isArray(comparison.rows) ? comparison.rows : []).forEach((row) => {
      if (!row || !Array.isArray(row.values)) return;
      const tr = el("tr");
      const th = el("th", null, String(row.label || ""));
      th.scope = "row";
      tr.appendChild(th);
      row.values.forEach((value) => tr.appendChild(el("td", null, String(value))));
      body.appendChild(tr);
    });
    table.appendChild(body);
    const wrapper = el("div", "comparison-wrapper");
    wrapper.appendChild(table);
    ui.log.appendChild(wrapper);
    scrollDown();
  }

  function addQuickReplies(buttons) {
    const group = el("div", "quick-replies");
    buttons.forEach((button) => {
      if (!button || typeof button.payload !== "string") return;
      const node = el("button", "quick-reply", button.title || button.payload);
      node.type = "button";
      node.addEventListener("click", () => {
        group.querySelectorAll("button").forEach((b) => { b.disabled = true; });
        node.classList.add("chosen");
        submit(button.payload, button.title || button.payload, { quick_reply: true });
      });
      group.appendChild(node);
    });
    ui.log.appendChild(group);
    scrollDown();
    return group;
  }

  function addAgentMessage(envelope) {
    const bubble = el("p", "bubble agent");
    bubble.appendChild(el("span", "bubble-sender", String(envelope.agent_name || "Support")));
    bubble.appendChild(el("span", "bubble-text", String(envelope.text || "")));
    ui.log.appendChild(bubble);
    scrollDown();
  }

  let queueNote = null; // the waiting note, updated in place as the queue moves
  let ticketForm = null;

  function onHandoff(envelope) {
    withPerson = envelope.status === "waiting" || envelope.status === "claimed";
    if (!withPerson) sendTyping(false);
    const text = String(envelope.message || "");
    if (envelope.status === "waiting" && queueNote) {
      queueNote.textContent = text;
    } else {
      addNote(text, `handoff-status status-${String(envelope.status)}`);
      queueNote = envelope.status === "waiting" ? ui.log.lastElementChild : null;
    }
    if (envelope.status === "waiting" && envelope.ticket_form) {
      if (!ticketForm) showTicketForm();
    } else if (ticketForm) {
      ticketForm.remove();
      ticketForm = null;
    }
  }

  function showTicketForm() {
    const form = el("form", "ticket-form");
    form.setAttribute("aria-label", "Leave a message for the support team");
    const emailLabel = el("label", null, "Your email");
    const email = el("input");
    email.type = "email";
    email.required = true;
    email.maxLength = 254;
    emailLabel.appendChild(email);
    const messageLabel = el("label", null, "Your message");
    const message = el("textarea");
    message.required = true;
    message.maxLength = 2000;
    message.rows = 3;
    messageLabel.appendChild(message);
    const send = el("button", "send", "Leave message");
    send.type = "submit";
    form.append(emailLabel, messageLabel, send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const frame = JSON.stringify({ type: "ticket", email: email.value.trim(), message: message.value.trim() });
      if (socket && socket.readyState === WebSocket.OPEN && synced) socket.send(frame);
      else { outbox.push(frame); connect(); }
    });
    ticketForm = form;
    ui.log.appendChild(form);
    scrollDown();
  }

  // --- customer satisfaction (CSAT) -------------------------------------------
  // A request is kept in localStorage until it is answered or declined, so a
  // reload shows an unanswered one again and never asks twice for one ending.

  const CSAT_KEY = "aisle.csat";
  const CSAT_TRIGGERS = ["goodbye", "handoff_closed"];
  const csatForms = new Map(); // trigger -> its form, while shown
  let csatMemory = null; // used when localStorage is blocked
  let csatCount = 0;

  function csatState() {
    const id = conversationId(false);
    let state = csatMemory;
    try { state = JSON.parse(window.localStorage.getItem(CSAT_KEY)) || state; } catch (_) { /* memory */ }
    const usable = state && state.conversation === id
      && Array.isArray(state.pending) && Array.isArray(state.done);
    return usable ? state : { conversation: id, pending: [], done: [] };
  }

  function saveCsat(state) {
    csatMemory = state;
    try { window.localStorage.setItem(CSAT_KEY, JSON.stringify(state)); } catch (_) { /* memory only */ }
  }

  function onCsatRequest(trigger) {
    const state = csatState();
    if (!CSAT_TRIGGERS.includes(trigger) || state.done.includes(trigger)) return;
    if (!state.pending.includes(trigger)) state.pending.push(trigger);
    saveCsat(state);
    showCsatForm(trigger);
  }

  function finishCsat(trigger, form, text) {
    const state = csatState();
    state.pending = state.pending.filter((t) => t !== trigger);
    if (!state.done.includes(trigger)) state.done.push(trigger);
    saveCsat(state);
    const hadFocus = form.contains(form.getRootNode().activeElement);
    const note = el("p", "note csat-thanks", text);
    form.replaceWith(note);
    csatForms.delete(trigger);
    if (hadFocus) ui.input.focus();
  }

  function showCsatForm(trigger) {
    if (csatForms.has(trigger)) return;
    csatCount += 1;
    const form = el("form", "csat");
    form.noValidate = true; // our message, inside the widget, instead of the browser's bubble
    const title = el("p", "csat-title",
      trigger === "handoff_closed" ? "How was your chat with our team?" : "How was your chat today?");
    title.id = `aisle-csat-title-${csatCount}`;
    form.setAttribute("aria-labelledby", title.id);
    const scale = el("fieldset", "csat-scale");
    scale.appendChild(el("legend", "csat-legend", "Your rating, from 1 (poor) to 5 (great)"));
    for (let value = 1; value <= 5; value += 1) {
      const option = el("label", "csat-option");
      const radio = el("input");
      radio.type = "radio";
      radio.name = `aisle-csat-${csatCount}`;
      radio.value = String(value);
      const face = el("span", "csat-value", value);
      face.setAttribute("aria-hidden", "true");
      option.append(radio, face, el("span", "visually-hidden", `${value} out of 5`));
      scale.appendChild(option);
    }
    const commentLabel = el("label", "csat-comment", "Comment (optional)");
    const comment = el("textarea");
    comment.maxLength = 1000;
    comment.rows = 2;
    commentLabel.appendChild(comment);
    const problem = el("p", "csat-error");
    problem.setAttribute("role", "alert");
    const actions = el("div", "csat-actions");
    const send = el("button", "send", "Send rating");
    send.type = "submit";
    const skip = el("button", "csat-skip", "No thanks");
    skip.type = "button";
    actions.append(send, skip);
    form.append(title, scale, commentLabel, problem, actions);

    skip.addEventListener("click", () => finishCsat(trigger, form, "No problem. Thanks for chatting!"));
    let sending = false; // the button stays enabled: disabling it would drop its focus
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (sending) return;
      const chosen = scale.querySelector("input:checked");
      if (!chosen) {
        problem.textContent = "Please choose a rating from 1 to 5.";
        scale.querySelector("input").focus();
        return;
      }
      sending = true;
      problem.textContent = "";
      const result = await postCsat(trigger, Number(chosen.value), comment.value.trim());
      sending = false;
      if (result.status === 201) {
        finishCsat(trigger, form, `Thank you! You rated this chat ${chosen.value} out of 5.`);
      } else if (result.status === 409) { // rated already, or nothing to rate: never ask again
        finishCsat(trigger, form, result.message || "Thank you!");
      } else {
        problem.textContent = result.status === 422 && result.message
          ? result.message : "Your rating could not be sent. Please try again.";
      }
    });

    csatForms.set(trigger, form);
    const inComposer = ui.input.getRootNode().activeElement === ui.input;
    ui.log.appendChild(form);
    scrollDown();
    // Someone who just said goodbye is not typing: take them to the rating, not mid-sentence.
    if (inComposer && !ui.input.value) scale.querySelector("input").focus();
  }

  async function postCsat(trigger, rating, comment) {
    const path = `${config.apiPath}/conversations/${encodeURIComponent(conversationId(false))}/csat`;
    try {
      const response = await fetch(new URL(path, window.location.href), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ trigger, rating, comment: comment || null }),
      });
      const body = await response.json().catch(() => null);
      return { status: response.status, message: problemText(body) };
    } catch (_) {
      return { status: 0, message: "" }; // offline: the form stays, with what was typed
    }
  }

  /** The sentence of a FastAPI error body ({detail: "..."} or {detail: [{msg}]}). */
  function problemText(body) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail) && detail[0] && typeof detail[0].msg === "string") return detail[0].msg;
    return "";
  }

  // --- history and pending messages -----------------------------------------
  // A message is pending from the moment it is typed until the gateway acks its
  // turn. Pending messages live in localStorage, so neither a reload nor a
  // dropped socket loses one. On every (re)connect the gateway first sends the
  // conversation so far (bot/history.py); a pending message found there had its
  // turn already and is dropped, the others are sent (again, marked `resent`, if
  // a dropped socket took them: the gateway then checks the tracker before running them).

  const PENDING_KEY = "aisle.pending";
  let pendingMemory = null; // used when localStorage is blocked
  const pendingBubbles = new Map(); // message id -> its bubble

  function loadPending() {
    const id = conversationId(false);
    let state = pendingMemory;
    try { state = JSON.parse(window.localStorage.getItem(PENDING_KEY)) || state; } catch (_) { /* memory */ }
    return state && state.conversation === id && Array.isArray(state.items) ? state.items : [];
  }

  function savePending(items) {
    const state = { conversation: conversationId(false), items };
    pendingMemory = state;
    try { window.localStorage.setItem(PENDING_KEY, JSON.stringify(state)); } catch (_) { /* memory only */ }
  }

  function settle(messageId) {
    savePending(loadPending().filter((item) => item.id !== messageId));
    const bubble = pendingBubbles.get(messageId);
    if (bubble) bubble.classList.remove("pending");
    pendingBubbles.delete(messageId);
  }

  /** A message the gateway refused: it is not in the conversation, so it is not resent either. */
  function forget(messageId) {
    const item = loadPending().find((pending) => pending.id === messageId);
    if (item) {
      const at = shown.lastIndexOf(signature({ type: "user_message", text: item.shown }));
      if (at !== -1) shown.splice(at, 1);
    }
    settle(messageId);
  }

  function showPending(item) {
    const bubble = pendingBubbles.get(item.id) || addBubble("user", item.shown);
    bubble.classList.add("pending");
    ui.log.appendChild(bubble); // (moved) after what the history showed
    pendingBubbles.set(item.id, bubble);
  }

  /** Sends the pending messages the current socket has not carried yet, oldest first. */
  function flush() {
    if (!socket || socket.readyState !== WebSocket.OPEN || !synced) return;
    const items = loadPending();
    items.forEach((item) => {
      if (sentHere.has(item.id)) return;
      socket.send(JSON.stringify({
        type: "user_message", text: item.text, metadata: item.metadata,
        message_id: item.id, resent: Boolean(item.sent), context: item.context,
      }));
      sentHere.add(item.id);
      item.sent = true;
      shown.push(signature({ type: "user_message", text: item.shown }));
    });
    savePending(items);
    while (outbox.length && socket.readyState === WebSocket.OPEN) socket.send(outbox.shift());
  }

  /** What identifies a message of the log, the same whether it came live or from history. */
  function signature(message) {
    if (message.type === "user_message") return `u|${message.text}`;
    if (message.type === "agent_message") return `a|${message.agent_name}|${message.text}`;
    const custom = message.custom && message.custom.type === "csat_request" ? null : message.custom;
    if (!message.text && !message.buttons && !message.image && !custom) return null; // not in the tracker
    return `b|${JSON.stringify([message.text, message.buttons, message.image, custom])}`;
  }

  function remember(message) {
    const sig = signature(message);
    if (sig !== null) shown.push(sig);
  }

  function onHistory(envelope) {
    synced = true;
    if (envelope.complete !== false && Array.isArray(envelope.messages)) showHistory(envelope.messages);
    flush();
  }

  function showHistory(messages) {
    const known = new Set(messages.map((m) => m && m.message_id).filter(Boolean));
    const items = loadPending();
    items.filter((item) => known.has(item.id)).forEach((item) => {
      const bubble = pendingBubbles.get(item.id);
      if (bubble) bubble.remove(); // the history shows it, in its place
      pendingBubbles.delete(item.id);
    });
    const left = items.filter((item) => !known.has(item.id));
    savePending(left);
    const sigs = messages.map(signature);
    const confirmed = shown.filter((sig, i) => sig === sigs[i]).length;
    const isPrefix = confirmed === shown.length;
    // The usual reconnect: what is shown is the start of the history, so only the rest is added
    // (nothing is read out twice). Otherwise (a reload, or a turn lost in between) redraw it all.
    const start = isPrefix ? shown.length : 0;
    if (!isPrefix) clearLog();
    else if (!ui.log.childElementCount) greet();
    ui.log.setAttribute("aria-busy", "true");
    const lastUser = messages.map((m) => m.type).lastIndexOf("user_message");
    messages.slice(start).forEach((message, i) => {
      renderHistoryItem(message, start + i > lastUser);
    });
    shown = sigs.filter((sig) => sig !== null);
    csatForms.forEach((form) => ui.log.appendChild(form)); // a rating asked for stays last
    left.forEach(showPending);
    ui.log.removeAttribute("aria-busy");
    scrollDown();
  }

  function renderHistoryItem(message, current) {
    if (!message || typeof message !== "object") return;
    if (message.type === "user_message") addBubble("user", String(message.text || ""));
    else if (message.type === "agent_message") addAgentMessage(message);
    else if (message.type === "bot_message") renderBotMessage(message, { history: true, current });
  }

  function clearLog() {
    ui.log.replaceChildren();
    pendingBubbles.clear();
    csatForms.clear();
    queueNote = null;
    ticketForm = null;
    shown = [];
    greet();
    csatState().pending.forEach(showCsatForm);
  }

  function greet() {
    addNote(config.greeting);
  }

  function showTyping(envelope) {
    ui.typing.hidden = !envelope.on;
    const who = envelope.agent_name ? String(envelope.agent_name) : config.title;
    ui.typing.setAttribute("aria-label", `${who} is typing`);
    scrollDown();
  }

  function sendTyping(on) {
    window.clearTimeout(typingTimer);
    if (on) typingTimer = window.setTimeout(() => sendTyping(false), TYPING_IDLE_MS);
    if (on === typingSent) return;
    typingSent = on;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "typing", on }));
  }

  /** Draws a bot message; from history, old quick replies are shown used and no rating is asked. */
  function renderBotMessage(message, from) {
    const history = Boolean(from && from.history);
    if (typeof message.text === "string" && message.text) addBubble("bot", message.text);
    const image = safeUrl(message.image);
    if (image) addImage(image);
    const custom = message.custom;
    if (custom && custom.type === "product_cards" && Array.isArray(custom.products)) {
      addProductCards(custom.products);
    }
    if (custom && custom.type === "product_comparison" && Array.isArray(custom.products)) {
      addComparison(custom);
    }
    if (Array.isArray(message.buttons) && message.buttons.length) {
      const group = addQuickReplies(message.buttons);
      if (history && !from.current) group.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    }
    if (!history && custom && custom.type === "csat_request") onCsatRequest(String(custom.trigger));
  }

  function onFrame(event) {
    let envelope;
    try { envelope = JSON.parse(event.data); } catch (_) { return; }
    if (!envelope || typeof envelope !== "object") return;
    if (envelope.type === "bot_message") {
      renderBotMessage(envelope);
      remember(envelope);
      countUnread(envelope);
    } else if (envelope.type === "typing") {
      showTyping(envelope);
    } else if (envelope.type === "agent_message") {
      ui.typing.hidden = true;
      addAgentMessage(envelope);
      remember(envelope);
      countUnread(envelope);
    } else if (envelope.type === "handoff") {
      onHandoff(envelope);
    } else if (envelope.type === "history") {
      onHistory(envelope);
    } else if (envelope.type === "ack") {
      settle(String(envelope.message_id));
    } else if (envelope.type === "error") {
      if (envelope.message_id) forget(String(envelope.message_id)); // not taken: never resent
      addNote(String(envelope.message || "Something went wrong."), "error");
      if (RESTORE_ON.has(envelope.code) && lastTyped && !ui.input.value) ui.input.value = lastTyped;
    }
  }

  function submit(text, label, metadata) {
    typingSent = false; // the server stops the indicator when a message arrives
    window.clearTimeout(typingTimer);
    lastTyped = metadata ? "" : text; // a quick reply is not worth restoring
    const context = Object.assign({ page: window.location.pathname }, metadata || {});
    const item = { id: randomId(), text, shown: label, metadata: context, sent: false };
    if (pageContext) item.context = pageContext; // the page as it was when this was typed
    savePending(loadPending().concat([item]));
    showPending(item);
    if (synced) flush();
    else connect();
  }

  function socketUrl() {
    const url = new URL(config.socketPath, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("conversation_id", conversationId(false));
    url.searchParams.set("history", "1"); // the conversation so far comes first (bot/history.py)
    return url.href;
  }

  function setPresence(state) {
    const words = { online: "Online", offline: "Offline", connecting: "Connecting…" };
    ui.presence.className = `presence ${state}`;
    ui.presence.textContent = words[state];
  }

  function connect() {
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    wanted = true;
    if (navigator.onLine === false) { goOffline(); return; } // the "online" event reconnects
    setPresence("connecting");
    const current = new WebSocket(socketUrl());
    socket = current;
    synced = false;
    sentHere = new Set();
    current.addEventListener("open", () => {
      attempts = 0;
      setStatus("");
      setPresence("online");
    });
    current.addEventListener("message", (event) => { if (socket === current) onFrame(event); });
    current.addEventListener("close", (event) => onClose(current, event));
  }

  /** Drops the socket at once: a socket on a dead network may look open for a long while. */
  function dropSocket() {
    const old = socket;
    socket = null;
    synced = false;
    ui.typing.hidden = true;
    if (old) old.close();
  }

  function goOffline() {
    dropSocket();
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    setPresence("offline");
    setStatus("You're offline. Messages you type are sent when you're back online.");
  }

  function onClose(closed, event) {
    if (socket !== closed) return;
    socket = null;
    synced = false;
    ui.typing.hidden = true;
    if (event.code === 1008) conversationId(true); // the server refused our id: start afresh
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null) return;
    if (navigator.onLine === false) { goOffline(); return; }
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempts) * (0.5 + Math.random() / 2);
    attempts += 1;
    setPresence("connecting");
    setStatus("Connection lost. Reconnecting…");
    reconnectTimer = window.setTimeout(() => { reconnectTimer = null; connect(); }, delay);
  }

  /** Starts afresh: a new conversation id (the old conversation stays on the server), an empty log. */
  function newConversation() {
    dropSocket();
    conversationId(true);
    withPerson = false;
    lastTyped = "";
    outbox.length = 0; // a ticket for the old conversation
    clearLog(); // greets; the new id has no pending messages or ratings
    setStatus("");
    connect();
    ui.input.focus();
  }

  // --- unread badge -----------------------------------------------------------
  let unread = 0;

  function countUnread(message) {
    if (!ui.panel.hidden || signature(message) === null) return;
    showUnread(unread + 1);
  }

  function showUnread(count) {
    unread = count;
    ui.badge.hidden = count === 0;
    ui.badge.textContent = count > 9 ? "9+" : String(count);
    const news = count === 0 ? "" : `, ${count} unread message${count === 1 ? "" : "s"}`;
    ui.launcher.setAttribute("aria-label", `Open the ${config.title} shopping assistant${news}`);
  }

  function setOpen(open) {
    if (open) showUnread(0);
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.hidden = open;
    if (open) {
      if (!ui.log.childElementCount) greet();
      connect();
      ui.input.focus();
      csatState().pending.forEach(showCsatForm); // asked before a reload, not answered yet
    } else {
      ui.launcher.focus();
    }
  }

  // --- page context -----------------------------------------------------------
  // The page says which product the shopper views and what is in the cart, with
  // data-product-id on the script tag or window.Aisle.setContext({product_id, cart}).
  // Every message carries it; the gateway checks it (bot/schemas.py PageContext) and
  // Rasa gets it as message metadata (metadata.page_context).

  const PRODUCT_ID = /^[A-Za-z0-9_-]{1,32}$/;
  const MAX_CART_LINES = 50;
  let pageContext = null;

  /** Keeps what the gateway would accept; anything else is left out, with a warning. */
  function cleanContext(value) {
    if (!value || typeof value !== "object") return null;
    const context = {};
    if (typeof value.product_id === "string" && PRODUCT_ID.test(value.product_id)) {
      context.product_id = value.product_id;
    } else if (value.product_id !== undefined && value.product_id !== null) {
      console.warn("Aisle: product_id must be 1-32 letters, digits, '-' or '_'; ignored");
    }
    if (Array.isArray(value.cart)) {
      context.cart = value.cart.slice(0, MAX_CART_LINES).filter((line) => (
        line && typeof line.product_id === "string" && PRODUCT_ID.test(line.product_id)
      )).map((line) => {
        const quantity = Number.isInteger(line.quantity) && line.quantity >= 1 && line.quantity <= 999
          ? line.quantity : 1;
        const clean = { product_id: line.product_id, quantity };
        if (typeof line.sku === "string" && line.sku.length <= 48) clean.sku = line.sku;
        return clean;
      });
    }
    return Object.keys(context).length ? context : null;
  }

  function setContext(value) {
    pageContext = cleanContext(value);
  }

  function start() {
    if (document.getElementById("aisle-widget")) return; // the script was included twice
    ui = buildUi();
    ui.launcher.addEventListener("click", () => setOpen(true));
    ui.close.addEventListener("click", () => setOpen(false));
    ui.restart.addEventListener("click", newConversation);
    ui.panel.addEventListener("keydown", (event) => { if (event.key === "Escape") setOpen(false); });
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.input.value.trim();
      if (!text) return;
      ui.input.value = "";
      submit(text, text);
    });
    ui.input.addEventListener("input", () => { if (withPerson) sendTyping(ui.input.value !== ""); });
    window.addEventListener("offline", () => { if (wanted) goOffline(); });
    window.addEventListener("online", () => {
      if (!wanted || socket) return;
      setStatus("");
      connect();
    });
    if (loadPending().length || hasConversation()) connect(); // history, unsent messages, live answers
    if (data.productId) setContext({ product_id: data.productId });
    window.Aisle = Object.freeze({
      setContext,
      open: () => setOpen(true),
      close: () => setOpen(false),
      newConversation,
    });
  }

  // Works with or without `defer`: the panel needs <body>.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
