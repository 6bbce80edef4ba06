// The ticket page and "New ticket": the "c" shortcut, assignees narrowed to the chosen
// team, the people type-ahead, refused saves shown in place (422), and who else is on
// the ticket ("Bob is viewing" / "Bob is typing a reply…") over /ws/tickets/<n>/.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // --- "c": a new ticket, from anywhere in the workspace ---
  document.addEventListener("keydown", function (e) {
    if (e.key !== "c" || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const link = document.querySelector("[data-new-ticket]");
    window.location.href = link ? link.getAttribute("href") : "/agent/tickets/new";
    e.preventDefault();
  });

  // --- A refused Properties save (422) comes back as the filled form: show it ---
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr && e.detail.xhr.status === 422) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // --- Assignees: only members of the chosen team, updated without a reload ---
  function teamAssignees() {
    const data = document.getElementById("team-assignees");
    if (!data) return null;
    try { return JSON.parse(data.textContent); } catch (err) { return null; }
  }

  function narrowAssignees(teamSelect) {
    const form = teamSelect.form;
    const select = form && form.querySelector("[data-assignee-select]");
    const choices = teamAssignees();
    if (!select || !choices) return;
    const keep = select.value;
    const people = choices[teamSelect.value] || [];
    select.textContent = "";
    const none = document.createElement("option");
    none.value = "";
    none.textContent = select.dataset.nobody || "—";
    select.appendChild(none);
    people.forEach(function (p) {
      const option = document.createElement("option");
      option.value = String(p.id);
      option.textContent = p.name;
      select.appendChild(option);
    });
    select.value = people.some((p) => String(p.id) === keep) ? keep : "";
  }

  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-team-select]")) narrowAssignees(e.target);
    if (e.target.matches('#new-ticket input[name="who"]')) showWho();
  });

  // --- New ticket: a known customer or a new one ---
  function showWho() {
    const section = document.querySelector(".new-ticket");
    const checked = document.querySelector('#new-ticket input[name="who"]:checked');
    if (section && checked) section.dataset.who = checked.value;
  }
  document.addEventListener("DOMContentLoaded", showWho);

  // --- People type-ahead: a listbox of buttons under the field (keyboard: ↓ ↑ Enter Esc) ---
  const timers = new WeakMap();

  function resultsOf(input) { return document.getElementById(input.dataset.peopleResults); }

  function closeResults(input) {
    const list = resultsOf(input);
    if (list) { list.hidden = true; list.textContent = ""; }
    input.setAttribute("aria-expanded", "false");
  }

  function pick(input, person) {
    const target = document.getElementById(input.dataset.peopleTarget);
    if (target) target.value = String(person.id);
    input.value = input.dataset.peopleFill === "email" && person.email
      ? person.email
      : person.name + (person.email ? " <" + person.email + ">" : person.phone ? " " + person.phone : "");
    closeResults(input);
    input.focus();
  }

  function show(input, items) {
    const list = resultsOf(input);
    if (!list) return;
    list.textContent = "";
    items.forEach(function (person) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.personId = String(person.id);
      const name = document.createElement("strong");
      name.textContent = person.name;
      const detail = document.createElement("span");
      detail.className = "muted";
      detail.textContent = " " + [person.email, person.phone, person.organization].filter(Boolean).join(" · ");
      button.append(name, detail);
      button.addEventListener("click", function () { pick(input, person); });
      button.addEventListener("keydown", function (e) {
        const buttons = Array.from(list.querySelectorAll("button"));
        const i = buttons.indexOf(button);
        if (e.key === "ArrowDown" && buttons[i + 1]) { buttons[i + 1].focus(); e.preventDefault(); }
        else if (e.key === "ArrowUp") { (buttons[i - 1] || input).focus(); e.preventDefault(); }
        else if (e.key === "Escape") { closeResults(input); input.focus(); e.preventDefault(); }
      });
      li.appendChild(button);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  function search(input) {
    const q = input.value.trim();
    if (q.length < 2) { closeResults(input); return; }
    const url = input.dataset.peopleSearch;
    const sep = url.indexOf("?") >= 0 ? "&" : "?";
    fetch(url + sep + "q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : { items: [] }))
      .then((data) => { if (input.value.trim() === q) show(input, data.items || []); })
      .catch(() => closeResults(input));
  }

  document.addEventListener("input", function (e) {
    const input = e.target;
    if (!input.matches || !input.matches("[data-people-search]")) return;
    const target = document.getElementById(input.dataset.peopleTarget);
    if (target) target.value = "";  // typed again: the earlier pick no longer holds
    window.clearTimeout(timers.get(input));
    timers.set(input, window.setTimeout(() => search(input), 250));
  });

  document.addEventListener("keydown", function (e) {
    const input = e.target;
    if (!input.matches || !input.matches("[data-people-search]")) return;
    const list = resultsOf(input);
    if (e.key === "ArrowDown" && list && !list.hidden) {
      const first = list.querySelector("button");
      if (first) { first.focus(); e.preventDefault(); }
    } else if (e.key === "Escape") {
      closeResults(input);
    }
  });

  // --- Who else is on this ticket ---
  const PING_SECONDS = 10;       // "I am here", while the page is open
  const TTL_SECONDS = 30;        // someone not heard of for this long has gone
  const TYPING_EVERY = 3000;     // at most one "typing" message per 3 s
  const TYPING_IDLE = 5000;      // no key for 5 s: back to "viewing"
  const people = new Map();      // user id → {name, state, until}
  let socket = null, socketUrl = "", retry = 1000, lastTyping = 0, idleTimer = 0, isTyping = false;

  function presenceEl() { return document.querySelector("[data-presence]"); }

  function render() {
    const el = presenceEl();
    if (!el) return;
    const now = Date.now();
    const lines = [];
    people.forEach(function (p, id) {
      if (p.until < now) { people.delete(id); return; }
      const template = p.state === "typing" ? el.dataset.typing : el.dataset.viewing;
      lines.push(template.replace("{name}", p.name));
    });
    el.textContent = lines.join(" · ");
    el.hidden = lines.length === 0;
  }

  function send(state) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: state }));
  }

  function connect() {
    const el = presenceEl();
    if (!el || !("WebSocket" in window)) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socketUrl = el.dataset.presence;
    const ws = new WebSocket(scheme + window.location.host + socketUrl);
    socket = ws;
    ws.addEventListener("open", function () { retry = 1000; send(isTyping ? "typing" : "here"); });
    ws.addEventListener("message", function (msg) {
      let data;
      try { data = JSON.parse(msg.data); } catch (err) { return; }
      if (data.type === "presence") {
        people.set(String(data.user), {
          name: data.name, state: data.state, until: Date.now() + (data.ttl || TTL_SECONDS) * 1000,
        });
      } else if (data.type === "left") {
        people.delete(String(data.user));
      }
      render();
    });
    ws.addEventListener("close", function (e) {
      if (socket !== ws) return;
      socket = null;
      if (e.code === 4403 || e.code === 4404) return;  // not allowed on this ticket
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  function composerTyping(e) {
    if (!e.target.matches || !e.target.matches("#composer-body")) return;
    const now = Date.now();
    isTyping = true;
    if (now - lastTyping > TYPING_EVERY) { lastTyping = now; send("typing"); }
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () { isTyping = false; lastTyping = 0; send("here"); }, TYPING_IDLE);
  }

  document.addEventListener("input", composerTyping);
  document.addEventListener("DOMContentLoaded", function () {
    if (!presenceEl()) return;
    connect();
    window.setInterval(function () { send(isTyping ? "typing" : "here"); render(); }, PING_SECONDS * 1000);
  });
  // The ticket area is swapped after every save: the new presence line shows the same people.
  document.addEventListener("htmx:afterSwap", render);
  window.addEventListener("pagehide", function () { if (socket) socket.close(1000); });
})();
