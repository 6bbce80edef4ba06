// Opora live chat widget: <script src="https://desk/chat/widget.js" data-key="KEY" async></script>
// Protocol: docs/chat.md. No dependencies, no third-party requests; all text is set with
// textContent, never parsed as HTML.
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector("script[data-key][src*='/chat/widget.js']");
  if (!script || window.__oporaChat) return;
  window.__oporaChat = true;

  const KEY = script.dataset.key || "";
  const ORIGIN = new URL(script.src, location.href).origin;
  const API = `${ORIGIN}/chat/api/${encodeURIComponent(KEY)}/`;
  const WS = `${ORIGIN.replace(/^http/, "ws")}/ws/chat/visitor/${encodeURIComponent(KEY)}/`;
  const STORE = `opora-chat:${ORIGIN}:${KEY}`;
  const pick = (v) => (v && String(v).toLowerCase().startsWith("ru") ? "ru" : v && String(v).toLowerCase().startsWith("en") ? "en" : "");
  const LANG = pick(script.dataset.lang) || pick(document.documentElement.lang) || pick(navigator.language) || "en";

  const TEXTS = {
    en: {
      open: "Chat with us", title: "Chat with us", close: "Close the chat", end: "End chat",
      online: "We are online", offline: "We are offline", messages: "Messages",
      message: "Message", send: "Send", attach: "Attach a file", emoji: "Emoji", emojiList: "Choose an emoji",
      name: "Your name", email: "E-mail", yourMessage: "Your message", optional: "(optional)", start: "Start the chat",
      offlineNote: "Nobody is online right now. Leave your message and e-mail: the answer will come by e-mail.",
      offlineSend: "Send the message", offlineDone: "Thank you! We will answer by e-mail.",
      required: "Please fill in this field.", badEmail: "Please enter a valid e-mail address.",
      you: "You", bot: "Answer bot", agent: "Agent", system: "",
      helped: "This helped", person: "Talk to a person", thanks: "Glad it helped!",
      waiting: "Looking for an agent…", joined: "{name} joined the chat", with: "You are chatting with {name}",
      ended: "The chat has ended.", read: "Read", sending: "Sending…", typing: "{name} is typing…",
      someone: "The agent", reconnecting: "Connection lost. Reconnecting…", tooBig: "The file is larger than {size}.",
      uploadFailed: "The file could not be sent.", drop: "Drop the file to send it",
      rate: "How was the chat?", star: "{n} of 5", comment: "Comment (optional)", rateSend: "Send the rating",
      rated: "Thank you for your rating!", unread: "{n} new", failed: "Could not reach the chat. Retrying…",
    },
    ru: {
      open: "Напишите нам", title: "Чат с поддержкой", close: "Закрыть чат", end: "Завершить чат",
      online: "Мы на связи", offline: "Сейчас никого нет", messages: "Сообщения",
      message: "Сообщение", send: "Отправить", attach: "Прикрепить файл", emoji: "Эмодзи", emojiList: "Выберите эмодзи",
      name: "Ваше имя", email: "E-mail", yourMessage: "Ваше сообщение", optional: "(необязательно)", start: "Начать чат",
      offlineNote: "Сейчас никого нет на связи. Оставьте сообщение и e-mail — ответ придёт по почте.",
      offlineSend: "Отправить сообщение", offlineDone: "Спасибо! Мы ответим по e-mail.",
      required: "Заполните это поле.", badEmail: "Введите правильный адрес e-mail.",
      you: "Вы", bot: "Бот-помощник", agent: "Оператор", system: "",
      helped: "Это помогло", person: "Позвать человека", thanks: "Рады, что помогло!",
      waiting: "Ищем свободного оператора…", joined: "{name} подключился к чату", with: "Вы общаетесь с {name}",
      ended: "Чат завершён.", read: "Прочитано", sending: "Отправляется…", typing: "{name} печатает…",
      someone: "Оператор", reconnecting: "Связь потеряна. Переподключаемся…", tooBig: "Файл больше {size}.",
      uploadFailed: "Не удалось отправить файл.", drop: "Отпустите файл, чтобы отправить",
      rate: "Как прошёл чат?", star: "{n} из 5", comment: "Комментарий (необязательно)", rateSend: "Отправить оценку",
      rated: "Спасибо за оценку!", unread: "новых: {n}", failed: "Нет связи с чатом. Пробуем снова…",
    },
  };
  const T = TEXTS[LANG];
  const t = (k, vars = {}) => T[k].replace(/\{(\w+)\}/g, (_, v) => String(vars[v] ?? ""));
  const EMOJI = ["😀", "😂", "😊", "😍", "🤔", "😢", "😡", "👍", "👎", "🙏", "🎉", "❤️"];

  const CSS = `
:host{all:initial!important;display:block!important;position:fixed!important;right:16px!important;bottom:16px!important;z-index:2147483000!important;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif!important;color:#1c2233!important}
*{box-sizing:border-box;font:inherit;color:inherit;margin:0}
[hidden]{display:none!important}
button{cursor:pointer;border:1px solid #d6d9e3;background:#fff;border-radius:8px;padding:6px 10px}
button:focus-visible,input:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.launcher{width:56px;height:56px;border-radius:50%;background:#4f46e5;color:#fff;border:0;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;position:relative;margin-left:auto}
.launcher svg{width:26px;height:26px;fill:#fff}
.ico{width:18px;height:18px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;vertical-align:-4px}
.files .ico{width:14px;height:14px;margin-right:3px;vertical-align:-2px}
button.icon{display:inline-grid;place-items:center}
.count{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;display:grid;place-items:center;padding:0 5px}
.panel{position:absolute;right:0;bottom:68px;width:min(370px,calc(100vw - 32px));height:min(580px,calc(100vh - 100px));background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;transition:opacity .15s,transform .15s}
.head{background:#4f46e5;color:#fff;padding:12px 14px;display:flex;gap:8px;align-items:center}
.head h2{font-weight:700;font-size:16px}
.head .sub{font-size:12px;opacity:.9}
.head .grow{flex:1;min-width:0}
.head button{background:transparent;border-color:rgba(255,255,255,.5);color:#fff;padding:4px 8px;font-size:12px}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:#9ca3af;margin-right:5px}
.dot.on{background:#4ade80}
.status{background:#fef3c7;color:#92400e;font-size:12px;padding:4px 12px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7fb}
.msg{max-width:85%;display:flex;flex-direction:column;gap:2px}
.msg .meta{font-size:11px;color:#6b7386}
.bubble{padding:8px 11px;border-radius:12px;background:#fff;border:1px solid #e3e6ee;white-space:pre-wrap;overflow-wrap:anywhere}
.visitor{align-self:flex-end;align-items:flex-end}
.visitor .bubble{background:#4f46e5;color:#fff;border-color:#4f46e5}
.visitor .bubble a{color:#fff}
.bot .bubble{background:#eef0ff;border-color:#d6d9ff}
.system{align-self:center;max-width:100%;text-align:center}
.system .bubble{background:transparent;border:0;color:#6b7386;font-size:12px;padding:2px}
.pending{opacity:.6}
.receipt{font-size:11px;color:#6b7386}
.files a{display:block;font-size:13px;text-decoration:underline}
.actions{display:flex;gap:6px;flex-wrap:wrap;margin-top:4px}
.actions button{font-size:13px;padding:4px 9px;background:#fff;color:#4f46e5;border-color:#c7cbff}
.typing{font-size:12px;color:#6b7386;padding:0 12px 4px;font-style:italic}
form.composer{display:flex;gap:6px;align-items:flex-end;padding:8px;border-top:1px solid #e3e6ee;position:relative}
textarea{flex:1;resize:none;border:1px solid #d6d9e3;border-radius:8px;padding:7px 9px;min-height:38px;max-height:120px;width:100%;background:#fff}
.icon{padding:6px 8px;min-width:36px;min-height:36px}
.primary{background:#4f46e5;color:#fff;border-color:#4f46e5;font-weight:600}
.emojis{position:absolute;bottom:52px;left:8px;background:#fff;border:1px solid #d6d9e3;border-radius:10px;padding:6px;display:grid;grid-template-columns:repeat(6,1fr);gap:2px;box-shadow:0 4px 14px rgba(0,0,0,.15)}
.emojis button{border:0;font-size:20px;padding:4px}
.form{padding:14px;display:flex;flex-direction:column;gap:10px;overflow-y:auto}
.form label{font-weight:600;font-size:13px;display:block;margin-bottom:3px}
.form input,.form textarea{width:100%;border:1px solid #d6d9e3;border-radius:8px;padding:7px 9px;background:#fff}
.note{font-size:13px;color:#374151;background:#fef3c7;padding:8px 10px;border-radius:8px}
.err{color:#b91c1c;font-size:12px}
.rating{background:#fff;border:1px solid #e3e6ee;border-radius:12px;padding:10px;display:flex;flex-direction:column;gap:8px;align-self:stretch}
.stars{display:flex;gap:4px}
.stars button{font-size:20px;padding:2px 8px;color:#d1d5db}
.stars button[aria-pressed=true]{color:#f59e0b;border-color:#f59e0b}
.drop{position:absolute;inset:0;background:rgba(79,70,229,.9);color:#fff;display:grid;place-items:center;font-weight:700;font-size:16px;pointer-events:none}
@media (max-width:480px){:host{right:12px!important;bottom:12px!important}.panel{position:fixed;inset:0;width:100vw;height:100%;border-radius:0}.panel:not([hidden])+.launcher{display:none}}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}`;

  // -- small DOM helpers -----------------------------------------------------------
  const h = (tag, attrs = {}, ...kids) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids) if (kid) el.append(kid);
    return el;
  };
  // Icons are drawn, not emoji: every system has the shapes, not every one the font.
  const ICONS = {
    clip: "M21 11.5 12.5 20a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6L15 7",
    smile: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8 14s1.5 2 4 2 4-2 4-2M9 9.5h.01M15 9.5h.01",
    send: "M4 12 20 4l-6 16-3-7-7-1z",
    close: "M6 6l12 12M18 6 6 18",
  };
  const icon = (name) => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "ico");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  };
  const store = {
    get(name, fallback) {
      try { const v = localStorage.getItem(`${STORE}:${name}`); return v === null ? fallback : JSON.parse(v); } catch { return fallback; }
    },
    set(name, value) { try { localStorage.setItem(`${STORE}:${name}`, JSON.stringify(value)); } catch { /* private mode */ } },
  };
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
  const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`);
  const clock = (iso) => {
    const d = iso ? new Date(iso) : new Date();
    return isNaN(d) ? "" : d.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
  };
  // Links in plain text become anchors; everything else stays text.
  const linkify = (el, text) => {
    const parts = String(text || "").split(/(https?:\/\/[^\s<>"]+)/g);
    parts.forEach((part, i) => {
      if (i % 2) el.append(h("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
      else if (part) el.append(document.createTextNode(part));
    });
  };

  // -- state -------------------------------------------------------------------------
  const state = {
    config: null, token: store.get("token", null), online: false, session: null, agent: null,
    messages: new Map(), // id or "c:"+client_id → message
    outbox: store.get("outbox", []), // [{client_id, text}] not yet confirmed by the server
    lastId: 0, readUpTo: 0, ws: null, connected: false, retry: 0, timer: null, unread: 0,
    typingSent: 0, typingOff: null, agentTyping: null, open: false, ratingShown: false,
  };

  // -- the UI --------------------------------------------------------------------------
  // A custom element of our own: the page's rules for div and friends do not match it.
  const host = h("opora-chat", { "data-opora-chat": "" });
  const root = host.attachShadow({ mode: "open" });
  root.append(h("style", { text: CSS }));
  const count = h("span", { class: "count", hidden: true, "aria-hidden": "true" });
  const launcher = h("button", { type: "button", class: "launcher", "aria-label": t("open"), "aria-expanded": "false", "aria-controls": "panel", onclick: () => toggle() }, count);
  launcher.insertAdjacentHTML("afterbegin", '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>');
  const title = h("h2", { id: "title", text: t("title") });
  const dot = h("span", { class: "dot", "aria-hidden": "true" });
  const sub = h("span", { text: "" });
  const endButton = h("button", { type: "button", hidden: true, onclick: () => send({ type: "end" }), text: t("end") });
  const closeButton = h("button", { type: "button", "aria-label": t("close"), onclick: () => toggle(false) }, icon("close"));
  const statusBar = h("div", { class: "status", role: "status", hidden: true });
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t("messages"), tabindex: "0" });
  const typingLine = h("div", { class: "typing", "aria-live": "polite" });
  const input = h("textarea", { id: "input", rows: "1", placeholder: t("message"), "aria-label": t("message") });
  // Opened by the attach button, which is the control people and assistive technology use.
  const fileInput = h("input", { type: "file", class: "sr", tabindex: "-1", "aria-hidden": "true" });
  const emojiGrid = h("div", { class: "emojis", role: "group", "aria-label": t("emojiList"), hidden: true });
  const emojiButton = h("button", { type: "button", class: "icon", "aria-label": t("emoji"), "aria-expanded": "false" }, icon("smile"));
  const composer = h(
    "form", { class: "composer", hidden: true },
    h("button", { type: "button", class: "icon", "aria-label": t("attach"), onclick: () => fileInput.click() }, icon("clip")),
    emojiButton, input, fileInput,
    h("button", { type: "submit", class: "icon primary", "aria-label": t("send") }, icon("send")),
    emojiGrid,
  );
  const form = h("form", { class: "form", hidden: true, novalidate: true });
  const dropCover = h("div", { class: "drop", hidden: true, text: t("drop") });
  const panel = h(
    "section", { class: "panel", id: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "title", hidden: true },
    h("div", { class: "head" }, h("div", { class: "grow" }, title, h("div", { class: "sub" }, dot, sub)), endButton, closeButton),
    statusBar, form, log, typingLine, composer, dropCover,
  );
  root.append(panel, launcher);

  for (const e of EMOJI) {
    emojiGrid.append(h("button", { type: "button", "aria-label": e, text: e, onclick: () => { insertAtCaret(e); showEmoji(false); } }));
  }
  const showEmoji = (on) => {
    emojiGrid.hidden = !on;
    emojiButton.setAttribute("aria-expanded", String(on));
    if (on) emojiGrid.querySelector("button").focus();
  };
  emojiButton.addEventListener("click", () => showEmoji(emojiGrid.hidden));
  const insertAtCaret = (text) => {
    const start = input.selectionStart ?? input.value.length;
    input.setRangeText(text, start, input.selectionEnd ?? start, "end");
    input.focus();
  };

  function toggle(on = !state.open) {
    state.open = on;
    panel.hidden = !on;
    launcher.setAttribute("aria-expanded", String(on));
    if (on) {
      state.unread = 0;
      renderCount();
      start();
      (form.hidden ? input : form.querySelector("input,textarea,button")).focus();
      markRead();
    } else {
      showEmoji(false);
      launcher.focus();
    }
  }
  panel.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.stopPropagation();
    if (!emojiGrid.hidden) { showEmoji(false); emojiButton.focus(); } else toggle(false);
  });
  const renderCount = () => {
    count.hidden = !state.unread;
    count.textContent = String(state.unread);
    launcher.setAttribute("aria-label", state.unread ? `${t("open")} (${t("unread", { n: state.unread })})` : t("open"));
  };
  const setStatus = (text) => { statusBar.hidden = !text; statusBar.textContent = text || ""; };

  // -- messages ---------------------------------------------------------------------------
  const authorName = (m) => (m.author === "visitor" ? t("you") : m.name || (m.author === "bot" ? t("bot") : m.author === "agent" ? t("agent") : ""));
  const fileUrl = (url) => new URL(url, ORIGIN).href;

  function bubbleFor(m, pending) {
    const bubble = h("div", { class: "bubble" });
    linkify(bubble, m.text);
    const files = h("div", { class: "files" });
    for (const a of m.attachments || []) {
      files.append(h("a", { href: fileUrl(a.url), target: "_blank", rel: "noopener", download: a.name }, icon("clip"), `${a.name} (${size(a.size || 0)})`));
    }
    const el = h(
      "div", { class: `msg ${m.author}${pending ? " pending" : ""}`, "data-author": m.author, "data-id": m.id || "" },
      m.author === "system" ? null : h("div", { class: "meta", text: `${authorName(m)} · ${clock(m.created_at)}` }),
      // A message of files alone shows the files, no empty bubble.
      m.text || !files.childNodes.length ? bubble : null, files.childNodes.length ? files : null,
      m.author === "visitor" ? h("div", { class: "receipt", text: pending ? t("sending") : "" }) : null,
    );
    return el;
  }

  function addMessage(m) {
    if (m.client_id && m.id) {
      // The server has it: no longer waiting to be sent.
      state.outbox = state.outbox.filter((o) => o.client_id !== m.client_id);
      store.set("outbox", state.outbox);
      const pending = state.messages.get(`c:${m.client_id}`);
      if (pending) { pending.el.remove(); state.messages.delete(`c:${m.client_id}`); }
    }
    const key = m.id ? String(m.id) : `c:${m.client_id}`;
    if (state.messages.has(key)) return false;
    const el = bubbleFor(m, !m.id);
    state.messages.set(key, { m, el });
    // Keep the log in id order; pending messages stay at the end.
    let before = null;
    if (m.id) {
      for (const node of log.children) {
        const id = Number(node.dataset.id || 0);
        if ((id && id > m.id) || (!id && node.dataset.author === "visitor" && node.classList.contains("pending"))) { before = node; break; }
      }
      state.lastId = Math.max(state.lastId, Number(m.id));
    }
    log.insertBefore(el, before);
    if (m.author !== "visitor" && m.id) {
      if (!state.open) { state.unread += 1; renderCount(); }
      if (m.author === "agent") showTyping(false);
    }
    log.scrollTop = log.scrollHeight;
    renderBotActions();
    renderReceipt();
    return true;
  }

  function renderBotActions() {
    for (const old of log.querySelectorAll(".actions")) old.remove();
    if (!state.session || state.session.state !== "bot") return;
    const msgs = [...log.querySelectorAll(".msg[data-id]")].filter((n) => n.dataset.id);
    const last = msgs[msgs.length - 1];
    if (!last || last.dataset.author !== "bot") return;
    last.append(h(
      "div", { class: "actions" },
      h("button", { type: "button", text: t("helped"), onclick: () => { send({ type: "helpful" }); system(t("thanks")); renderBotActions(); } }),
      h("button", { type: "button", text: t("person"), onclick: () => { send({ type: "handoff" }); } }),
    ));
  }

  function renderReceipt() {
    let lastRead = null;
    for (const { m, el } of state.messages.values()) {
      const receipt = el.querySelector(".receipt");
      if (!receipt || !m.id) continue;
      receipt.textContent = "";
      if (m.id <= state.readUpTo && (!lastRead || m.id > lastRead.m.id)) lastRead = { m, el };
    }
    if (lastRead) lastRead.el.querySelector(".receipt").textContent = t("read");
  }

  const system = (text) => log.append(bubbleFor({ author: "system", text }, false));

  function markRead() {
    if (!state.open || document.hidden) return;
    let upTo = 0;
    for (const { m } of state.messages.values()) if (m.id && m.author !== "visitor") upTo = Math.max(upTo, m.id);
    if (upTo > (state.sentRead || 0)) { state.sentRead = upTo; send({ type: "read", up_to: upTo }); }
  }
  document.addEventListener("visibilitychange", markRead);

  function showTyping(on) {
    clearTimeout(state.agentTyping);
    typingLine.textContent = on ? t("typing", { name: state.agent || t("someone") }) : "";
    // A lost "off" must not leave the indicator on for good.
    if (on) state.agentTyping = setTimeout(() => showTyping(false), 8000);
  }

  function setSession(session, online) {
    if (online !== undefined) state.online = online;
    dot.classList.toggle("on", state.online);
    sub.textContent = state.online ? t("online") : t("offline");
    const previous = state.session ? state.session.state : null;
    state.session = session;
    if (!session) { endButton.hidden = true; return; }
    const agent = session.agent || null;
    if (session.state === "active" && agent) {
      sub.textContent = t("with", { name: agent });
      if (previous && (previous !== "active" || state.agent !== agent)) system(t("joined", { name: agent }));
    } else if (session.state === "waiting" || session.state === "offered") {
      if (previous !== "waiting" && previous !== "offered") system(t("waiting"));
      sub.textContent = t("waiting");
    } else if (session.state === "ended" && previous && previous !== "ended") {
      system(t("ended"));
    } else if (session.state === "offline") {
      sub.textContent = t("offlineDone");
    }
    state.agent = agent;
    endButton.hidden = !["active", "waiting", "offered", "bot"].includes(session.state);
    renderBotActions();
  }

  function askRating() {
    if (state.ratingShown) return;
    state.ratingShown = true;
    let score = 0;
    const stars = h("div", { class: "stars", role: "group", "aria-label": t("rate") });
    for (let n = 1; n <= 5; n += 1) {
      stars.append(h("button", {
        type: "button", "aria-pressed": "false", "aria-label": t("star", { n }), text: "★",
        onclick: (e) => {
          score = n;
          for (const b of stars.children) b.setAttribute("aria-pressed", String(b === e.currentTarget));
          [...stars.children].forEach((b, i) => { b.style.color = i < n ? "#f59e0b" : ""; });
        },
      }));
    }
    const comment = h("textarea", { id: "rating-comment", rows: "2" });
    const box = h(
      "form", { class: "rating", "aria-label": t("rate") },
      h("strong", { text: t("rate") }), stars,
      h("label", { for: "rating-comment", class: "sr", text: t("comment") }),
      comment,
      h("button", { type: "submit", class: "primary", text: t("rateSend") }),
    );
    comment.placeholder = t("comment");
    box.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!score) { stars.firstChild.focus(); return; }
      // Thanked once the server has stored it (its `rating` answer), not before.
      if (send({ type: "rate", score, comment: comment.value.trim() })) state.ratingBox = box;
    });
    log.append(box);
    log.scrollTop = log.scrollHeight;
  }

  // -- talking to the server ------------------------------------------------------------------
  async function http(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (state.token) headers["X-Chat-Visitor"] = state.token;
    const response = await fetch(API + path, { ...options, headers, credentials: "omit" });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 && state.token) forget(); // a forged or foreign token
    if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { body });
    return body;
  }

  function send(frame) {
    if (state.ws && state.connected) { state.ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function connect() {
    if (!state.token || state.ws) return;
    clearTimeout(state.timer);
    const ws = new WebSocket(`${WS}?token=${encodeURIComponent(state.token)}`);
    state.ws = ws;
    ws.onopen = () => { state.connected = true; state.retry = 0; setStatus(""); };
    ws.onmessage = (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch { return; }
      receive(frame);
    };
    ws.onclose = (e) => {
      const wasConnected = state.connected;
      state.ws = null;
      state.connected = false;
      if (e.code === 4403 || e.code === 4401) { forget(); return; }
      if (wasConnected || state.retry > 1) setStatus(t("reconnecting"));
      // Exponential backoff with jitter, at most 30 s apart.
      const delay = Math.min(30000, 500 * 2 ** state.retry) * (0.75 + Math.random() / 2);
      state.retry += 1;
      state.timer = setTimeout(connect, navigator.onLine === false ? 30000 : delay);
    };
  }
  // Going offline: say so at once. The socket's close handshake cannot cross a dead
  // network, so its onclose may come much later; until then nothing is sent on it.
  const disconnect = () => {
    if (!state.ws) return;
    if (state.connected) setStatus(t("reconnecting"));
    state.connected = false;
    state.ws.close();
  };
  window.addEventListener("offline", disconnect);
  window.addEventListener("online", () => { state.retry = 0; clearTimeout(state.timer); connect(); });

  // A refused token (another desk's, or the visitor was removed): start afresh.
  function forget() {
    state.token = null;
    store.set("token", null);
    setStatus("");
    if (state.open) showForm();
  }

  function receive(frame) {
    switch (frame.type) {
      case "hello":
        setSession(frame.session, frame.online);
        for (const m of frame.messages || []) addMessage(m);
        flush();
        send({ type: "sync", after: state.lastId });
        markRead();
        break;
      case "message":
        addMessage(frame.message);
        markRead();
        break;
      case "typing": showTyping(frame.on); break;
      case "read": state.readUpTo = Math.max(state.readUpTo, frame.up_to || 0); renderReceipt(); break;
      case "state":
        setSession({ ...(state.session || {}), state: frame.state, agent: frame.agent }, frame.online);
        if (frame.state === "ended") showTyping(false);
        break;
      case "rating":
        if (frame.asked) askRating();
        else if (state.ratingBox) { state.ratingBox.replaceWith(bubbleFor({ author: "system", text: t("rated") }, false)); state.ratingBox = null; }
        break;
      case "error":
        if (frame.message) system(frame.message);
        // Nobody online and no address yet: the queued message waits for one.
        if (frame.code === "email_required") { state.online = false; setSession(state.session); showForm(); }
        break;
      default: break;
    }
  }

  // Messages wait in the outbox (kept across page loads) until the server echoes their
  // client_id; the server stores a resent client_id once.
  function flush() {
    for (const item of state.outbox) send(frameOf(item));
  }

  // With nobody online the message is answered by e-mail: it carries the address.
  const frameOf = (item) => ({ type: "message", text: item.text, client_id: item.client_id, ...(!state.online && state.email ? { email: state.email } : {}) });

  function sendText(text) {
    text = text.trim();
    if (!text) return;
    const item = { client_id: uuid(), text };
    state.outbox.push(item);
    store.set("outbox", state.outbox);
    addMessage({ author: "visitor", text, client_id: item.client_id, created_at: new Date().toISOString() });
    send(frameOf(item));
    typingOff();
  }

  function typingOff() {
    clearTimeout(state.typingOff);
    if (state.typingSent) { send({ type: "typing", on: false }); state.typingSent = 0; }
  }
  input.addEventListener("input", () => {
    // At most one "typing" every 3 s; "off" after 4 s without a key.
    if (Date.now() - state.typingSent > 3000 && input.value) { send({ type: "typing", on: true }); state.typingSent = Date.now(); }
    clearTimeout(state.typingOff);
    state.typingOff = setTimeout(typingOff, 4000);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); composer.requestSubmit(); }
  });
  composer.addEventListener("submit", (e) => {
    e.preventDefault();
    sendText(input.value);
    input.value = "";
    input.focus();
  });

  async function upload(file) {
    if (!file) return;
    const limit = state.config ? state.config.max_upload_bytes : 0;
    if (limit && file.size > limit) { system(t("tooBig", { size: size(limit) })); return; }
    const body = new FormData();
    body.append("file", file, file.name);
    try {
      const answer = await http("upload", { method: "POST", body });
      if (answer.message) addMessage(answer.message);
    } catch (err) {
      system(err.body && err.body.detail ? err.body.detail : t("uploadFailed"));
    }
  }
  fileInput.addEventListener("change", () => { upload(fileInput.files[0]); fileInput.value = ""; });
  let dragDepth = 0;
  panel.addEventListener("dragenter", (e) => { if (!composer.hidden && e.dataTransfer.types.includes("Files")) { dragDepth += 1; dropCover.hidden = false; e.preventDefault(); } });
  panel.addEventListener("dragover", (e) => { if (!composer.hidden) e.preventDefault(); });
  panel.addEventListener("dragleave", () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) dropCover.hidden = true; });
  panel.addEventListener("drop", (e) => {
    e.preventDefault();
    dragDepth = 0;
    dropCover.hidden = true;
    if (!composer.hidden && e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });

  // -- the pre-chat form ------------------------------------------------------------------------
  function field(name, label, type, mode) {
    const id = `f-${name}`;
    const control = type === "textarea" ? h("textarea", { id, name, rows: "3" }) : h("input", { id, name, type, autocomplete: name === "email" ? "email" : "name" });
    if (mode === "required") control.required = true;
    const err = h("div", { class: "err", id: `${id}-err`, hidden: true });
    control.setAttribute("aria-describedby", err.id);
    return h("div", {}, h("label", { for: id, text: mode === "optional" ? `${label} ${T.optional}` : label }), control, err);
  }

  function showForm() {
    const prechat = (state.config && state.config.prechat) || { name: "off", email: "off" };
    const offline = !state.online;
    const email = offline ? "required" : prechat.email;
    form.replaceChildren();
    if (offline) form.append(h("p", { class: "note", text: t("offlineNote") }));
    if (prechat.name !== "off") form.append(field("name", t("name"), "text", prechat.name));
    if (email !== "off") form.append(field("email", t("email"), "email", email));
    if (offline && !state.outbox.length) form.append(field("message", t("yourMessage"), "textarea", "required"));
    form.append(h("button", { type: "submit", class: "primary", text: offline ? t("offlineSend") : t("start") }));
    form.hidden = false;
    composer.hidden = true;
    log.hidden = true;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let ok = true;
    for (const control of form.querySelectorAll("input,textarea")) {
      const err = form.querySelector(`#${control.id}-err`);
      const value = control.value.trim();
      let problem = "";
      if (control.required && !value) problem = t("required");
      else if (control.type === "email" && value && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) problem = t("badEmail");
      err.textContent = problem;
      err.hidden = !problem;
      control.setAttribute("aria-invalid", String(!!problem));
      if (problem && ok) { control.focus(); ok = false; }
    }
    if (!ok) return;
    const value = (name) => (form.querySelector(`[name=${name}]`) || { value: "" }).value.trim();
    const first = value("message");
    const offline = !state.online;
    if (await register(value("name"), value("email")) && first) {
      sendText(first);
      if (offline) system(t("offlineDone"));
    }
  });

  async function register(name, email) {
    try {
      const answer = await http("visitor", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name, email, language: LANG, page_url: location.href, token: state.token || undefined }),
      });
      state.token = answer.token;
      store.set("token", answer.token);
      state.email = email;
      showChat();
      setSession(answer.session, state.online);
      for (const m of answer.messages || []) addMessage(m);
      connect();
      flush(); // what waited for the address (sent again on connect; stored once)
      return true;
    } catch (err) {
      setStatus(err.body && err.body.detail ? err.body.detail : t("failed"));
      return false;
    }
  }

  function showChat() {
    form.hidden = true;
    log.hidden = false;
    composer.hidden = false;
    if (!log.children.length && state.config && state.config.greeting && state.online) {
      const greeting = state.config.greeting[LANG] || state.config.greeting.en;
      if (greeting) system(greeting);
    }
    if (state.open) input.focus();
  }

  // -- start ---------------------------------------------------------------------------------
  let started = null;
  function start() {
    started = started || (async () => {
      try {
        state.config = await http("config");
        state.online = !!state.config.online;
        setSession(state.session);
      } catch {
        setStatus(t("failed"));
        started = null;
        return;
      }
      if (state.token) { showChat(); connect(); return; }
      const prechat = state.config.prechat || {};
      if (state.online && prechat.name === "off" && prechat.email === "off") await register("", "");
      else showForm();
      if (state.open) (form.hidden ? input : form.querySelector("input,textarea,button")).focus();
    })();
    return started;
  }

  const mount = () => {
    document.body.append(host);
    // A returning visitor's conversation is fetched at once (unread counts, history).
    if (state.token) start();
    if (script.dataset.open === "true") toggle(true);
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
