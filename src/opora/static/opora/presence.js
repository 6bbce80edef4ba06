// The agent's presence switch in the navigation (agent/availability.py). One presence
// for chats and tickets: a change here reaches every open page through the chat socket
// (chat-inbox.js passes it on as an "opora:presence" event) and other tabs through
// localStorage; the heartbeat every 25 s says the agent is still here and how long
// they have been idle in all their tabs (the desk sets an idle agent away).
(function () {
  "use strict";

  const form = document.querySelector("[data-nav-presence]");
  if (!form) return;
  const select = form.querySelector("[data-nav-presence-select]");
  const dot = form.querySelector("[data-nav-presence-dot]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const ACTIVITY = "opora.activity", PRESENCE = "opora.presence";
  const loaded = Date.now();

  function show(status) {
    if (!["online", "away", "offline"].includes(status)) return;
    select.value = status;
    dot.className = `presence-dot ${status}`;
    form.dataset.status = status;
  }
  show(select.value);

  function broadcast(status) {
    try { localStorage.setItem(PRESENCE, JSON.stringify({ status, at: Date.now() })); } catch (e) { /* private mode */ }
  }

  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    const answer = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.detail || String(answer.status));
    return data;
  }

  let previous = select.value;
  select.addEventListener("change", async () => {
    const wanted = select.value;
    show(wanted);
    try {
      const data = await post(form.action, { status: wanted });
      previous = data.status;
      show(data.status);
      broadcast(data.status);
    } catch (err) {
      show(previous);
      select.title = err.message;
    }
  });

  // The same state on the chat page (its own control) and in other tabs.
  document.addEventListener("opora:presence", (e) => { previous = e.detail; show(e.detail); });
  window.addEventListener("storage", (e) => {
    if (e.key === PRESENCE && e.newValue) {
      try { const s = JSON.parse(e.newValue).status; previous = s; show(s); } catch (err) { /* ignore */ }
    }
  });

  // Activity in any tab of the workspace counts: the newest moment is shared.
  let lastWrite = 0;
  const touched = () => {
    const now = Date.now();
    if (now - lastWrite < 5000) return;
    lastWrite = now;
    try { localStorage.setItem(ACTIVITY, String(now)); } catch (e) { /* private mode */ }
  };
  for (const kind of ["pointerdown", "keydown", "wheel", "touchstart", "focus"]) {
    window.addEventListener(kind, touched, { passive: true, capture: true });
  }
  const lastActive = () => {
    let shared = 0;
    try { shared = Number(localStorage.getItem(ACTIVITY)) || 0; } catch (e) { /* private mode */ }
    return Math.max(shared, lastWrite, loaded);
  };

  async function beat() {
    const idle = Math.max(0, Math.round((Date.now() - lastActive()) / 1000));
    try {
      const data = await post(form.dataset.heartbeat, { idle: String(idle) });
      if (data.status && data.status !== previous) { previous = data.status; show(data.status); }
    } catch (err) { /* the next beat tries again */ }
  }
  beat();
  setInterval(beat, 25000);
})();
