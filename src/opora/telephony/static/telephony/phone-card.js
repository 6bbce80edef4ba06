// The caller's card: while a phone call rings, the workspace shows who calls (name,
// organization), the call's ticket and the caller's other open tickets, with "Open
// ticket". Cards arrive over /ws/phone/ (telephony/consumers.py), each built for this
// agent on the server. Answered elsewhere: the card says by whom; ended: it goes.
// Text is always set with textContent.
(function () {
  "use strict";

  const cfgNode = document.getElementById("phone-card-config");
  if (!cfgNode || !window.WebSocket) return;
  const cfg = JSON.parse(cfgNode.textContent);
  const T = (key, vars) => String(cfg.texts[key] || key).replace(/\{(\w+)\}/g, (_, v) => String((vars || {})[v] ?? ""));
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
  let stack = null;
  const cards = new Map();
  let retry = 0;

  function container() {
    if (!stack) {
      stack = h("div", { class: "phone-cards", "aria-live": "polite", "data-phone-cards": true });
      document.body.append(stack);
    }
    return stack;
  }

  function ticketLink(t) {
    return h("a", { href: t.url, "data-card-ticket": t.number }, h("strong", { text: `#${t.number}` }), document.createTextNode(` ${t.subject} `), h("span", { class: "muted", text: t.status }));
  }

  function show(card) {
    const old = cards.get(card.call);
    if (old) old.remove();
    const others = card.open_tickets || [];
    const node = h(
      "section",
      { class: "phone-card", role: "dialog", "aria-label": T("incoming"), "data-phone-card": card.call },
      h("div", { class: "phone-card-head" },
        h("span", { class: "phone-card-title", text: `☎ ${T("incoming")}` }),
        h("button", { type: "button", class: "linklike", "aria-label": T("close"), text: "×", onclick: () => drop(card.call) })),
      h("div", { class: "phone-card-name", "data-card-name": true, text: card.name }),
      card.organization ? h("div", { class: "muted", "data-card-org": true, text: card.organization }) : null,
      h("div", { class: "phone-card-number", text: card.number + (card.line ? ` → ${card.line}` : "") }),
      h("div", { class: "phone-card-state", "data-card-state": true }),
      h("div", { class: "phone-card-ticket" }, ticketLink(card.ticket)),
      h("div", { class: "phone-card-sub", text: others.length ? T("others") : T("none") }),
      others.length ? h("ul", { class: "phone-card-others" }, ...others.map((t) => h("li", null, ticketLink(t)))) : null,
      h("div", { class: "phone-card-actions" },
        h("a", { class: "btn btn-sm btn-primary", href: card.ticket.url, "data-card-open": true, text: T("open") }),
        card.customer_url ? h("a", { class: "btn btn-sm", href: card.customer_url, text: T("customer") }) : null),
    );
    cards.set(card.call, node);
    container().prepend(node);
  }

  function drop(id) {
    const node = cards.get(id);
    if (node) node.remove();
    cards.delete(id);
  }

  function state(frame) {
    const node = cards.get(frame.call);
    if (!node) return;
    if (frame.state === "ended") { setTimeout(() => drop(frame.call), 4000); node.querySelector("[data-card-state]").textContent = T("ended"); return; }
    if (frame.state === "answered" && frame.agent) node.querySelector("[data-card-state]").textContent = T("answered", { name: frame.agent });
  }

  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/phone/`);
    ws.onopen = () => { retry = 0; document.documentElement.dataset.phoneSocket = "open"; };
    ws.onmessage = (e) => {
      try {
        const frame = JSON.parse(e.data);
        if (frame.type === "card") show(frame);
        else if (frame.type === "state") state(frame);
      } catch (err) { console.error(err); }
    };
    ws.onclose = (e) => {
      delete document.documentElement.dataset.phoneSocket;
      if (e.code === 4403 || e.code === 4401) return; // not an agent
      const delay = Math.min(30000, 500 * 2 ** retry) * (0.75 + Math.random() / 2);
      retry += 1;
      setTimeout(connect, delay);
    };
  }
  connect();
})();
