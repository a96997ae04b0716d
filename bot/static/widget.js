/*
 * Aisle chat widget: a launcher button and a chat panel, in a shadow root so
 * the shop's CSS and ours cannot clash.
 *
 * Include with:
 *   <script src="/static/widget.js" defer data-socket-path="/ws"
 *           data-title="Aisle" data-max-chars="2000"></script>
 *
 * Protocol: see bot/ws.py. While a person has the chat (a "handoff" frame with
 * status waiting or claimed) their messages show as "agent" bubbles and the
 * shopper's typing is sent to them. Everything a message carries is rendered with
 * textContent / createElement, never as HTML, and only http(s) or
 * site-relative URLs become links or images.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const data = (script && script.dataset) || {};
  const config = {
    socketPath: data.socketPath || "/ws",
    title: data.title || "Aisle",
    maxChars: Number(data.maxChars) || 2000,
    cssUrl: new URL("widget.css", (script && script.src) || window.location.href).href,
  };
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

    const wrapper = el("div", "aisle");
    const launcher = el("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", `Open the ${config.title} shopping assistant`);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "aisle-panel");
    launcher.appendChild(chatIcon());

    const panel = el("section", "panel");
    panel.id = "aisle-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", `${config.title} shopping assistant`);

    const header = el("header", "panel-header");
    const title = el("h2", "title", config.title);
    const close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    header.append(title, close);

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
    return { launcher, panel, close, status, log, typing, form, input };
  }

  // --- widget ----------------------------------------------------------------

  let ui = null; // set by start()
  let socket = null;
  let attempts = 0;
  let reconnectTimer = null;
  const outbox = []; // frames typed while disconnected, sent on reconnect
  let lastTyped = "";
  let withPerson = false; // a person (not the bot) has the conversation
  let typingSent = false;
  let typingTimer = null;
  const TYPING_IDLE_MS = 3000;

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function addBubble(role, text) {
    ui.log.appendChild(el("p", `bubble ${role}`, text));
    scrollDown();
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
    return card;
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
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame);
      else { outbox.push(frame); connect(); }
    });
    ticketForm = form;
    ui.log.appendChild(form);
    scrollDown();
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

  function renderBotMessage(message) {
    if (typeof message.text === "string" && message.text) addBubble("bot", message.text);
    const image = safeUrl(message.image);
    if (image) addImage(image);
    const custom = message.custom;
    if (custom && custom.type === "product_cards" && Array.isArray(custom.products)) {
      addProductCards(custom.products);
    }
    if (Array.isArray(message.buttons) && message.buttons.length) addQuickReplies(message.buttons);
  }

  function onFrame(event) {
    let envelope;
    try { envelope = JSON.parse(event.data); } catch (_) { return; }
    if (!envelope || typeof envelope !== "object") return;
    if (envelope.type === "bot_message") {
      renderBotMessage(envelope);
    } else if (envelope.type === "typing") {
      showTyping(envelope);
    } else if (envelope.type === "agent_message") {
      ui.typing.hidden = true;
      addAgentMessage(envelope);
    } else if (envelope.type === "handoff") {
      onHandoff(envelope);
    } else if (envelope.type === "error") {
      addNote(String(envelope.message || "Something went wrong."), "error");
      if (RESTORE_ON.has(envelope.code) && lastTyped && !ui.input.value) ui.input.value = lastTyped;
    }
  }

  function submit(text, shown, metadata) {
    addBubble("user", shown);
    typingSent = false; // the server stops the indicator when a message arrives
    window.clearTimeout(typingTimer);
    lastTyped = metadata ? "" : text; // a quick reply is not worth restoring
    const context = Object.assign({ page: window.location.pathname }, metadata || {});
    const frame = JSON.stringify({ type: "user_message", text, metadata: context });
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(frame);
    } else {
      outbox.push(frame);
      connect();
    }
  }

  function socketUrl() {
    const url = new URL(config.socketPath, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("conversation_id", conversationId(false));
    return url.href;
  }

  function connect() {
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const current = new WebSocket(socketUrl());
    socket = current;
    current.addEventListener("open", () => {
      attempts = 0;
      setStatus("");
      while (outbox.length && current.readyState === WebSocket.OPEN) current.send(outbox.shift());
    });
    current.addEventListener("message", onFrame);
    current.addEventListener("close", (event) => onClose(current, event));
  }

  function onClose(closed, event) {
    if (socket !== closed) return;
    socket = null;
    ui.typing.hidden = true;
    if (event.code === 1008) conversationId(true); // the server refused our id: start afresh
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempts) * (0.5 + Math.random() / 2);
    attempts += 1;
    setStatus("Connection lost. Reconnecting…");
    reconnectTimer = window.setTimeout(() => { reconnectTimer = null; connect(); }, delay);
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.hidden = open;
    if (open) {
      if (!ui.log.childElementCount) addNote(`Hi! I'm ${config.title}. Ask me about products, orders or returns.`);
      connect();
      ui.input.focus();
    } else {
      ui.launcher.focus();
    }
  }

  function start() {
    if (document.getElementById("aisle-widget")) return; // the script was included twice
    ui = buildUi();
    ui.launcher.addEventListener("click", () => setOpen(true));
    ui.close.addEventListener("click", () => setOpen(false));
    ui.panel.addEventListener("keydown", (event) => { if (event.key === "Escape") setOpen(false); });
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.input.value.trim();
      if (!text) return;
      ui.input.value = "";
      submit(text, text);
    });
    ui.input.addEventListener("input", () => { if (withPerson) sendTyping(ui.input.value !== ""); });
    window.addEventListener("online", () => { if (!socket && !ui.panel.hidden) connect(); });
  }

  // Works with or without `defer`: the panel needs <body>.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
