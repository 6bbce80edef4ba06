// The agent's chat inbox (/agent/chat/) over the agent chat socket (docs/chat.md).
// On every other workspace page it keeps the socket too, for the "Chat" badge in the
// navigation, the offers' sound and the count in the page title: an agent online who
// reads the queue still hears of offers. Opening the socket changes no one's status
// (the agent chooses it here); a ping every 25 s tells the server the agent is still
// here. Text is always set with textContent.
(function () {
  "use strict";

  const badge = document.querySelector("[data-chat-badge]");
  const inbox = document.querySelector("[data-chat-inbox]");
  if (!badge && !inbox) return;
  const cfgNode = document.getElementById("chat-config");
  const cfg = cfgNode ? JSON.parse(cfgNode.textContent) : { me: 0, texts: {}, agents: [], lines: [], canned: {} };
  const T = (key, vars) => String(cfg.texts[key] || key).replace(/\{(\w+)\}/g, (_, v) => String((vars || {})[v] ?? ""));
  const $ = (sel) => document.querySelector(sel);
  const h = (tag, attrs, ...kids) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids) if (kid) el.append(kid);
    return el;
  };
  const clip = () => {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M21 11.5 12.5 20a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6L15 7");
    svg.append(path);
    return svg;
  };
  const style = document.createElement("style");
  style.textContent = ".chat-badge{display:inline-block;min-width:18px;padding:0 6px;margin-left:4px;border-radius:9px;background:#dc2626;color:#fff;font-size:11px;font-weight:700;line-height:18px;text-align:center}.chat-badge[hidden]{display:none}";
  document.head.append(style);

  const state = {
    ws: null, connected: false, retry: 0, timer: null,
    chats: new Map(), offers: new Map(), transcripts: new Map(), readUpTo: new Map(),
    selected: null, presence: { status: "offline", capacity: 0 }, accepting: new Set(), ping: null,
    outbox: JSON.parse(sessionStorage.getItem("opora.chat.outbox") || "[]"),
    typingSent: 0, typingOff: null, visitorTyping: null, audio: null,
  };
  const baseTitle = document.title;
  const saveOutbox = () => sessionStorage.setItem("opora.chat.outbox", JSON.stringify(state.outbox));
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
  const clock = (iso) => { const d = iso ? new Date(iso) : new Date(); return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); };
  const mine = (c) => c.agent_id === cfg.me && c.state !== "offered";
  const offeredToMe = (c) => c.state === "offered" && (c.offered_to === undefined || c.offered_to === cfg.me);
  const waiting = (c) => (c.state === "waiting" || c.state === "offered") && !offeredToMe(c);

  // -- counts: the nav badge and the page title ------------------------------------------
  function renderCounts() {
    let unread = 0;
    for (const c of state.chats.values()) if (mine(c) && c.id !== state.selected) unread += c.unread || 0;
    const total = unread + state.offers.size;
    if (badge) { badge.hidden = !total; badge.textContent = String(total); }
    document.title = total ? `(${total}) ${baseTitle}` : baseTitle;
  }

  // A short beep for a new offer, made on the spot (no audio file to fetch).
  function beep() {
    try {
      state.audio = state.audio || new (window.AudioContext || window.webkitAudioContext)();
      const ctx = state.audio, osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.12, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.35);
    } catch (err) { /* no sound available */ }
  }
  // Browsers start audio only after a gesture: prepare it on the first one.
  document.addEventListener("pointerdown", () => { if (!state.audio && window.AudioContext) state.audio = new AudioContext(); }, { once: true });

  // -- the socket ---------------------------------------------------------------------------
  function send(frame) {
    if (state.ws && state.connected) { state.ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function setStatus(text) {
    const node = $("[data-chat-status]");
    if (node) { node.hidden = !text; node.textContent = text || ""; }
  }
  function connect() {
    if (state.ws) return;
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/chat/agent/`);
    state.ws = ws;
    ws.onopen = () => {
      state.connected = true; state.retry = 0; setStatus("");
      clearInterval(state.ping);
      state.ping = setInterval(() => send({ type: "ping" }), 25000);
    };
    ws.onmessage = (e) => { try { receive(JSON.parse(e.data)); } catch (err) { console.error(err); } };
    ws.onclose = (e) => {
      const was = state.connected;
      state.ws = null; state.connected = false;
      clearInterval(state.ping);
      enablePresence(false);
      if (e.code === 4403 || e.code === 4401) return; // not an agent: nothing to show
      if (was || state.retry > 1) setStatus(T("reconnecting"));
      const delay = Math.min(30000, 500 * 2 ** state.retry) * (0.75 + Math.random() / 2);
      state.retry += 1;
      state.timer = setTimeout(connect, delay);
    };
  }
  window.addEventListener("online", () => { state.retry = 0; clearTimeout(state.timer); connect(); });

  function receive(f) {
    switch (f.type) {
      case "chats":
        state.chats = new Map((f.chats || []).map((c) => [c.id, c]));
        for (const c of state.chats.values()) if (offeredToMe(c) && !state.offers.has(c.id)) state.offers.set(c.id, { chat: c, until: 0 });
        for (const id of [...state.offers.keys()]) if (!state.chats.has(id) || !offeredToMe(state.chats.get(id))) state.offers.delete(id);
        if (f.presence) setPresence(f.presence);
        enablePresence(true);
        for (const item of state.outbox) send({ type: "message", chat_id: item.chat_id, text: item.text, client_id: item.client_id });
        for (const [id, msgs] of state.transcripts) {
          // Catch up on what was said while the socket was down.
          let last = 0;
          for (const m of msgs.values()) if (m.id) last = Math.max(last, m.id);
          if (id === state.selected) loadTranscript(id, last);
          else state.transcripts.delete(id); // read afresh when chosen again
        }
        break;
      case "presence": setPresence(f.presence || f); break;
      case "history":
        for (const m of f.messages || []) addMessage(f.chat_id, m, true);
        if (f.chat_id === state.selected) renderTranscript();
        break;
      case "offer":
        state.chats.set(f.chat.id, f.chat);
        state.offers.set(f.chat.id, { chat: f.chat, until: Date.now() + (f.expires_in || 30) * 1000 });
        beep();
        break;
      case "chat": {
        const c = f.chat;
        const before = state.chats.get(c.id);
        state.chats.set(c.id, { ...(before || {}), ...c });
        if (!offeredToMe(state.chats.get(c.id))) state.offers.delete(c.id);
        if (state.accepting.has(c.id) && mine(c)) { state.accepting.delete(c.id); select(c.id); }
        if (c.id === state.selected) renderPane();
        break;
      }
      case "message": addMessage(f.chat_id, f.message); break;
      case "typing":
        if (f.chat_id === state.selected) showTyping(f.on);
        break;
      case "read":
        state.readUpTo.set(f.chat_id, Math.max(state.readUpTo.get(f.chat_id) || 0, f.up_to || 0));
        if (f.chat_id === state.selected) renderReceipt();
        break;
      case "error": setStatus(f.message || f.code); break;
      default: break;
    }
    render();
  }

  function enablePresence(on) {
    for (const input of document.querySelectorAll("[data-presence]")) input.disabled = !on;
  }
  function setPresence(p) {
    const { type, ...fields } = p;
    state.presence = { ...state.presence, ...fields };
    document.dispatchEvent(new CustomEvent("opora:presence", { detail: state.presence.status }));
    for (const input of document.querySelectorAll("[data-presence]")) input.checked = input.value === state.presence.status;
    const dot = $("[data-presence-dot]");
    if (dot) dot.className = `presence-dot ${state.presence.status}`;
    const cap = $("[data-capacity]");
    if (cap) {
      let active = 0;
      for (const c of state.chats.values()) if (mine(c) && c.state === "active") active += 1;
      const hint = state.presence.status === "offline" ? ` ${T("offline_hint")}` : "";
      cap.textContent = `${T(state.presence.status)} · ${T("capacity", { active, capacity: state.presence.capacity || 0 })}.${hint}`;
    }
  }

  // -- lists ------------------------------------------------------------------------------------
  function render() {
    renderCounts();
    if (!inbox) return;
    setPresence({});
    const offers = $("[data-offers]");
    offers.replaceChildren();
    for (const { chat, until } of state.offers.values()) {
      const v = chat.visitor || {};
      const left = until ? Math.max(0, Math.round((until - Date.now()) / 1000)) : null;
      offers.append(h("li", { class: "offer", "data-offer": chat.id },
        h("strong", { text: v.name || v.email || T("visitor") }),
        h("span", { class: "muted", text: lastText(chat) }),
        left !== null ? h("span", { class: "muted", "data-expires": "", text: T("expires", { seconds: left }) }) : null,
        h("div", { class: "row" },
          h("button", { type: "button", class: "btn btn-primary btn-sm", text: T("accept"), onclick: () => { state.accepting.add(chat.id); send({ type: "accept", chat_id: chat.id }); } }),
          h("button", { type: "button", class: "btn btn-sm", text: T("pass"), onclick: () => { state.offers.delete(chat.id); send({ type: "pass", chat_id: chat.id }); render(); } }))));
    }
    if (!state.offers.size) offers.append(h("li", { class: "muted", text: T("no_offers") }));
    const count = $("[data-offer-count]");
    count.hidden = !state.offers.size;
    count.textContent = String(state.offers.size);

    renderWaiting();
    const list = $("[data-chats]");
    list.replaceChildren();
    const rows = [...state.chats.values()].filter((c) => mine(c) || c.id === state.selected);
    rows.sort((a, b) => (a.state === "ended") - (b.state === "ended") || b.id - a.id);
    for (const c of rows) {
      const v = c.visitor || {};
      const unread = c.id === state.selected ? 0 : c.unread || 0;
      list.append(h("li", {},
        h("button", {
          type: "button", class: `chat-item${c.state === "ended" ? " ended" : ""}`, "data-chat": c.id,
          "aria-current": c.id === state.selected ? "true" : "false", onclick: () => select(c.id),
        },
        h("span", { class: "grow" },
          h("strong", { text: v.name || v.email || T("visitor") }),
          h("span", { class: "muted", text: ` · #${c.ticket} · ${T(`state_${c.state}`)}` }),
          h("div", { class: "last", text: lastText(c) })),
        unread ? h("span", { class: "unread", "aria-label": T("unread", { count: unread }), text: String(unread) }) : null)));
    }
    if (!rows.length) list.append(h("li", { class: "muted", text: T("no_chats") }));
  }
  // Chats waiting in the agent's teams (passed on by everyone, or offered to a
  // colleague): anyone may take one.
  function renderWaiting() {
    const list = $("[data-waiting]");
    list.replaceChildren();
    const rows = [...state.chats.values()].filter(waiting);
    rows.sort((a, b) => String(a.waiting_since || a.created_at).localeCompare(String(b.waiting_since || b.created_at)) || a.id - b.id);
    for (const c of rows) {
      const v = c.visitor || {};
      list.append(h("li", { class: "offer", "data-waiting-chat": c.id },
        h("strong", { text: v.name || v.email || T("visitor") }),
        h("span", { class: "muted", text: lastText(c) }),
        h("span", { class: "waiting-time", "data-since": c.waiting_since || c.created_at || "" }),
        c.state === "offered" ? h("span", { class: "muted", text: T("offered_to_other") }) : null,
        h("div", { class: "row" },
          h("button", { type: "button", class: "btn btn-primary btn-sm", text: T("take"), "aria-label": `${T("take")}: ${v.name || v.email || T("visitor")}`, onclick: () => { state.accepting.add(c.id); send({ type: "accept", chat_id: c.id }); } }))));
    }
    if (!rows.length) list.append(h("li", { class: "muted", text: T("no_waiting") }));
    waitingTimes();
    const count = $("[data-waiting-count]");
    count.hidden = !rows.length;
    count.textContent = String(rows.length);
  }
  function waitingTimes() {
    for (const node of document.querySelectorAll("[data-since]")) {
      const since = Date.parse(node.dataset.since);
      const minutes = isNaN(since) ? 0 : Math.floor((Date.now() - since) / 60000);
      node.textContent = minutes > 0 ? T("waiting_for", { minutes }) : T("waiting_now");
    }
  }
  const lastText = (c) => {
    const m = c.last_message;
    if (!m) return "";
    return typeof m === "string" ? m : m.text || (m.attachments && m.attachments.length ? m.attachments[0].name : "");
  };
  let ticks = 0;
  setInterval(() => {
    const now = Date.now();
    let changed = false;
    for (const [id, o] of state.offers) if (o.until && o.until < now) { state.offers.delete(id); changed = true; }
    ticks += 1;
    if (changed || (inbox && state.offers.size)) render();
    else if (inbox && ticks % 15 === 0) waitingTimes(); // the waiting times move on
  }, 1000);

  // -- a conversation ---------------------------------------------------------------------------
  function select(id) {
    state.selected = id;
    const c = state.chats.get(id);
    if (c) c.unread = 0;
    inbox.classList.add("has-chat");
    showTyping(false);
    if (!state.transcripts.has(id)) state.transcripts.set(id, new Map());
    renderPane();
    loadTranscript(id, 0);
    loadArticles(c);
    render();
    const text = $("[data-text]");
    if (text && !$("[data-composer]").hidden) text.focus();
  }

  // The transcript so far (with the ticket's internal notes, marked) comes in a
  // `history` frame; live messages then arrive over the socket.
  function loadTranscript(id, after) {
    send({ type: "history", chat_id: id, after: after || 0 });
  }

  function addMessage(chatId, m, history) {
    let msgs = state.transcripts.get(chatId);
    if (!msgs) { msgs = new Map(); state.transcripts.set(chatId, msgs); }
    if (m.client_id && m.id) {
      state.outbox = state.outbox.filter((o) => o.client_id !== m.client_id);
      saveOutbox();
      msgs.delete(`c:${m.client_id}`);
    }
    const key = m.id ? String(m.id) : `c:${m.client_id}`;
    if (msgs.has(key)) return;
    msgs.set(key, m);
    const c = state.chats.get(chatId);
    if (c && m.id && !history) {
      if (!m.internal) c.last_message = m;
      if (m.author !== "agent" && !m.internal && chatId !== state.selected) c.unread = (c.unread || 0) + 1;
    }
    if (chatId === state.selected) {
      if (m.author === "visitor") showTyping(false);
      renderTranscript();
      markRead();
    }
    if (!history) render();
  }

  function markRead() {
    const msgs = state.transcripts.get(state.selected);
    if (!msgs || document.hidden) return;
    let upTo = 0;
    for (const m of msgs.values()) if (m.id && m.author === "visitor") upTo = Math.max(upTo, m.id);
    const c = state.chats.get(state.selected);
    if (upTo && c && upTo > (c.readSent || 0)) { c.readSent = upTo; send({ type: "read", chat_id: c.id, up_to: upTo }); }
  }
  document.addEventListener("visibilitychange", markRead);

  function renderPane() {
    const c = state.chats.get(state.selected);
    if (!c) return;
    const v = c.visitor || {};
    $("[data-pane-title]").textContent = `${v.name || v.email || T("visitor")} · ${T(`state_${c.state}`)}`;
    const link = $("[data-ticket-link]");
    link.hidden = false;
    link.href = `/agent/tickets/${c.ticket}`;
    link.textContent = `#${c.ticket}`;
    const live = c.state === "active" && c.agent_id === cfg.me;
    $("[data-chat-actions]").hidden = !live;
    $("[data-composer]").hidden = !live;
    const info = $("[data-info]");
    info.hidden = false;
    for (const dd of info.querySelectorAll("[data-v]")) {
      const value = v[dd.dataset.v];
      dd.replaceChildren();
      if (dd.dataset.v === "page_url" && /^https?:\/\//.test(value || "")) dd.append(h("a", { href: value, target: "_blank", rel: "noopener noreferrer", text: value }));
      else dd.textContent = value || T("none");
    }
    const past = $("[data-past]");
    past.replaceChildren();
    const pastTickets = Array.isArray(v.past_tickets) ? v.past_tickets : (v.past_tickets && v.past_tickets.recent) || [];
    for (const p of pastTickets) {
      const number = typeof p === "object" ? p.number : p;
      const subject = typeof p === "object" ? p.subject || "" : "";
      past.append(h("li", {}, h("a", { href: `/agent/tickets/${number}`, text: `#${number}` }), subject ? ` ${subject}` : ""));
    }
    if (!past.children.length) past.append(h("li", { class: "muted", text: T("none") }));
    renderCanned(v.language);
    renderTranscript();
  }

  function renderTranscript() {
    const box = $("[data-transcript]");
    const msgs = [...(state.transcripts.get(state.selected) || new Map()).values()];
    msgs.sort((a, b) => (a.id && b.id ? a.id - b.id : a.id ? -1 : b.id ? 1 : 0));
    box.replaceChildren();
    for (const m of msgs) {
      const text = h("div", { class: "text" });
      String(m.text || "").split(/(https?:\/\/[^\s<>"]+)/g).forEach((part, i) => {
        if (i % 2) text.append(h("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
        else if (part) text.append(part);
      });
      const files = h("div", { class: "files" });
      for (const a of m.attachments || []) files.append(h("a", { href: a.url, target: "_blank", rel: "noopener" }, clip(), a.name));
      const name = m.author === "agent" && m.name ? m.name : m.author === "visitor" ? m.name || T("visitor") : m.author === "bot" ? m.name || T("bot") : m.name || "";
      const kind = m.internal ? "note" : m.author;
      const meta = m.internal ? `${T("note")} · ${name} · ${clock(m.created_at)}` : `${name} · ${clock(m.created_at)}`;
      box.append(h("div", { class: `cmsg ${kind}${m.id ? "" : " pending"}`, "data-id": m.id || "", "data-author": m.author },
        m.author === "system" ? null : h("div", { class: "meta", text: meta }),
        text.childNodes.length ? text : null, files.childNodes.length ? files : null,
        kind === "agent" ? h("div", { class: "receipt", text: m.id ? "" : T("sending") }) : null));
    }
    const c = state.chats.get(state.selected);
    if (c && c.state === "ended") box.append(h("div", { class: "cmsg system" }, h("div", { class: "text", text: T("ended") })));
    renderReceipt();
    box.scrollTop = box.scrollHeight;
  }

  function renderReceipt() {
    const upTo = state.readUpTo.get(state.selected) || 0;
    const nodes = [...document.querySelectorAll("[data-transcript] .cmsg.agent[data-id]")].filter((n) => n.dataset.id && Number(n.dataset.id) <= upTo);
    for (const n of document.querySelectorAll("[data-transcript] .cmsg.agent .receipt")) if (n.parentElement.dataset.id) n.textContent = "";
    if (nodes.length) nodes[nodes.length - 1].querySelector(".receipt").textContent = T("read");
  }

  function showTyping(on) {
    clearTimeout(state.visitorTyping);
    const node = $("[data-typing]");
    if (node) node.textContent = on ? T("typing") : "";
    if (on) state.visitorTyping = setTimeout(() => showTyping(false), 8000);
  }

  // -- ready answers ------------------------------------------------------------------------------
  function insert(text) {
    const area = $("[data-text]");
    const start = area.selectionStart, end = area.selectionEnd;
    const before = area.value.slice(0, start);
    area.setRangeText((before && !/\s$/.test(before) ? " " : "") + text, start, end, "end");
    area.focus();
  }
  function renderCanned(language) {
    const lang = language && String(language).startsWith("ru") ? "ru" : language && String(language).startsWith("en") ? "en" : document.documentElement.lang.startsWith("ru") ? "ru" : "en";
    const list = $("[data-canned]");
    list.replaceChildren(...(cfg.canned[lang] || []).map((text) => h("li", {}, h("button", { type: "button", class: "btn btn-sm", text, onclick: () => insert(text) }))));
    $("[data-canned-card]").hidden = false;
  }
  // The ticket's related articles, as the ticket page's card lists them.
  async function loadArticles(c) {
    const list = $("[data-articles]");
    list.replaceChildren();
    if (!c || !c.ticket) return;
    try {
      const r = await fetch(`/agent/tickets/${c.ticket}/articles`, { credentials: "same-origin" });
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      for (const item of doc.querySelectorAll(".related-article")) {
        const title = (item.querySelector(".related-title a") || {}).textContent || "";
        const linkButton = item.querySelector("[data-insert-link]");
        if (!linkButton) continue; // internal articles are not for visitors
        list.append(h("li", {}, h("button", { type: "button", class: "btn btn-sm", "aria-label": `${T("insert_article")}: ${title}`, text: title, onclick: () => insert(linkButton.dataset.insert) })));
      }
    } catch (err) { /* the card stays empty */ }
    if (!list.children.length) list.append(h("li", { class: "muted", text: T("no_articles") }));
  }

  // -- the inbox page's controls ---------------------------------------------------------------------
  function wire() {
    for (const input of document.querySelectorAll("[data-presence]")) {
      input.addEventListener("change", () => {
        if (send({ type: "presence", status: input.value })) setPresence({ status: input.value });
        else setPresence({}); // not connected: the status stays as the server has it
      });
    }
    $("[data-back]").addEventListener("click", () => {
      const id = state.selected;
      state.selected = null;
      inbox.classList.remove("has-chat");
      render();
      const item = document.querySelector(`[data-chat="${id}"]`);
      if (item) item.focus();
    });
    const agents = $("[data-transfer-agents]");
    for (const a of cfg.agents) agents.append(h("option", { value: `agent:${a.id}`, text: a.name }));
    const lines = $("[data-transfer-lines]");
    for (const l of cfg.lines) lines.append(h("option", { value: `line:${l.value}`, text: l.label }));
    $("[data-transfer]").addEventListener("click", () => {
      const [kind, value] = ($("[data-transfer-to]").value || ":").split(":");
      if (!value || !state.selected) return;
      send(kind === "agent" ? { type: "transfer", chat_id: state.selected, agent_id: Number(value) } : { type: "transfer", chat_id: state.selected, line: Number(value) });
    });
    $("[data-end]").addEventListener("click", () => { if (state.selected) send({ type: "end", chat_id: state.selected }); });

    const area = $("[data-text]");
    const composer = $("[data-composer]");
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.isComposing) { e.preventDefault(); composer.requestSubmit(); }
    });
    area.addEventListener("input", () => {
      if (!state.selected) return;
      if (Date.now() - state.typingSent > 3000 && area.value) { send({ type: "typing", chat_id: state.selected, on: true }); state.typingSent = Date.now(); }
      clearTimeout(state.typingOff);
      state.typingOff = setTimeout(typingOff, 4000);
    });
    composer.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = area.value.trim();
      if (!text || !state.selected) return;
      const item = { chat_id: state.selected, client_id: uuid(), text };
      state.outbox.push(item);
      saveOutbox();
      addMessage(item.chat_id, { author: "agent", name: T("you"), text, client_id: item.client_id, created_at: new Date().toISOString() });
      send({ type: "message", chat_id: item.chat_id, text, client_id: item.client_id });
      typingOff();
      area.value = "";
      area.focus();
    });
    $("[data-file]").addEventListener("change", (e) => upload(e.target));
  }
  function typingOff() {
    clearTimeout(state.typingOff);
    if (state.typingSent && state.selected) send({ type: "typing", chat_id: state.selected, on: false });
    state.typingSent = 0;
  }

  // Files go through the chat API, with the composer's text (which may be empty: the
  // transcript then shows the file alone) and a client_id like any message.
  async function upload(input) {
    const c = state.chats.get(state.selected);
    const file = input.files[0];
    const status = $("[data-file-status]");
    if (!c || !file) return;
    const area = $("[data-text]");
    const text = area.value.trim();
    const clientId = uuid();
    const body = new FormData();
    body.append("text", text);
    body.append("client_id", clientId);
    body.append("attachments", file, file.name);
    addMessage(c.id, { author: "agent", name: T("you"), text, client_id: clientId, created_at: new Date().toISOString(), attachments: [{ name: file.name, url: "#", size: file.size }] });
    area.value = "";
    let csrf = "";
    try { csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (err) { csrf = ""; }
    try {
      const r = await fetch(`/api/v1/chat/sessions/${c.id}/messages`, { method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
      const answer = await r.json();
      if (!r.ok) throw new Error(answer.detail || String(r.status));
      addMessage(c.id, answer);
      status.textContent = T("sent_file");
    } catch (err) {
      const msgs = state.transcripts.get(c.id);
      if (msgs) msgs.delete(`c:${clientId}`);
      if (c.id === state.selected) renderTranscript();
      if (!area.value) area.value = text;
      status.textContent = `${T("file_failed")} ${err.message || ""}`.trim();
    }
    input.value = "";
  }

  if (inbox) wire();
  render();
  connect();
})();
