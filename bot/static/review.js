/*
 * Aisle conversation review: filter the tracker store's conversations, read one,
 * correct the intents the bot got wrong and export it as a test story.
 *
 * Data comes from bot/review_routes.py. Shopper and bot text is written with
 * textContent / createElement only, never innerHTML.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const LOW_CONFIDENCE = 0.6;
  const state = { current: null, downloadUrl: null };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(text, isError, target = "review-status") {
    const status = $(target);
    status.textContent = text || "";
    status.classList.toggle("error", Boolean(isError));
  }

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
    return response.json();
  }

  function listQuery() {
    const params = new URLSearchParams();
    document.querySelectorAll("#review-filters input[name=filter]:checked").forEach((box) => params.append("filter", box.value));
    ["start", "end"].forEach((name) => {
      const value = $(`review-${name}`).value;
      if (value) params.set(name, value);
    });
    return params.toString();
  }

  function when(iso) { return iso.replace("T", " ").slice(0, 16); }

  // --- list -------------------------------------------------------------------

  function row(item) {
    const tr = el("tr");
    tr.dataset.conversationId = item.id;
    tr.append(el("td", null, when(item.started_at)), el("td", null, item.user_turns));
    const flags = el("td");
    item.flags.forEach((flag) => flags.append(el("span", "flag", flag.replace(/_/g, " "))));
    tr.append(flags, el("td", null, item.first_message));
    const open = el("button", null, "Open");
    open.type = "button";
    open.setAttribute("aria-label", `Open conversation ${item.id}`);
    open.addEventListener("click", () => openConversation(item.id));
    const cell = el("td");
    cell.append(open);
    tr.append(cell);
    return tr;
  }

  async function loadList() {
    setStatus("Loading…");
    try {
      const items = await api("GET", `/api/agent/review/conversations?${listQuery()}`);
      $("review-rows").replaceChildren(...items.map(row));
      setStatus(items.length ? `${items.length} conversation${items.length === 1 ? "" : "s"}` : "No conversation matches.");
      markOpen();
    } catch (error) {
      setStatus(`Could not load the conversations: ${error.message}`, true);
    }
  }

  function markOpen() {
    document.querySelectorAll("#review-rows tr").forEach((tr) => {
      tr.classList.toggle("open", state.current !== null && tr.dataset.conversationId === state.current.id);
    });
  }

  // --- one conversation ---------------------------------------------------------

  function intentChoice(entry, intents) {
    const label = el("label", "understood");
    const confidence = entry.confidence === null ? "" : ` (${entry.confidence.toFixed(2)})`;
    if (entry.confidence !== null && entry.confidence < LOW_CONFIDENCE) label.classList.add("low");
    label.append(`Understood: ${entry.intent || "nothing"}${confidence}. Meant: `);
    const select = el("select");
    select.dataset.turn = String(entry.turn);
    select.dataset.understood = entry.intent || "";
    select.setAttribute("aria-label", `Intent of shopper message ${entry.turn}`);
    if (!intents.includes(entry.intent)) {
      const keep = el("option", null, `${entry.intent || "nothing"} (choose the intent meant)`);
      keep.value = "";
      select.append(keep);
    }
    intents.forEach((name) => {
      const option = el("option", null, name);
      option.value = name;
      option.selected = name === entry.intent;
      select.append(option);
    });
    label.append(select);
    return label;
  }

  function entryItem(entry, intents) {
    const li = el("li", entry.speaker);
    if (entry.speaker === "handoff") {
      li.textContent = "Handed over to a person";
      return li;
    }
    li.append(el("span", "who", entry.speaker === "shopper" ? `Shopper #${entry.turn}` : "Bot"), el("span", "said", entry.text));
    if (entry.speaker === "shopper") li.append(intentChoice(entry, intents));
    return li;
  }

  async function openConversation(id) {
    try {
      const conversation = await api("GET", `/api/agent/review/conversations/${encodeURIComponent(id)}`);
      state.current = conversation;
      $("conversation-heading").textContent = `Conversation ${conversation.id}`;
      $("transcript").replaceChildren(...conversation.entries.map((entry) => entryItem(entry, conversation.intents)));
      $("story-name").value = `Reviewed conversation ${conversation.id}`;
      $("export-form").hidden = false;
      $("story-yaml").hidden = true;
      $("story-download").hidden = true;
      setStatus("", false, "export-status");
      markOpen();
    } catch (error) {
      setStatus(`Could not open ${id}: ${error.message}`, true);
    }
  }

  function corrections() {
    const intents = {};
    document.querySelectorAll("#transcript select").forEach((select) => {
      if (select.value && select.value !== select.dataset.understood) intents[select.dataset.turn] = select.value;
    });
    return intents;
  }

  async function exportStory(event) {
    event.preventDefault();
    if (state.current === null) return;
    try {
      const story = await api("POST", `/api/agent/review/conversations/${encodeURIComponent(state.current.id)}/export`, {
        name: $("story-name").value || null,
        intents: corrections(),
      });
      $("story-yaml").textContent = story.yaml;
      $("story-yaml").hidden = false;
      if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
      state.downloadUrl = URL.createObjectURL(new Blob([story.yaml], { type: "application/yaml" }));
      const link = $("story-download");
      link.href = state.downloadUrl;
      link.download = story.filename;
      link.textContent = `Download ${story.filename}`;
      link.hidden = false;
      setStatus("Exported: save it under tests/stories/ and it becomes a conversation test.", false, "export-status");
    } catch (error) {
      setStatus(`Export failed: ${error.message}`, true, "export-status");
    }
  }

  $("review-filters").addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
  $("export-form").addEventListener("submit", exportStory);
  loadList();
})();
