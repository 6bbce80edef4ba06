// Keyboard shortcuts and small list helpers; htmx does the partial page updates.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() { return Array.from(document.querySelectorAll(".ticket-row")); }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    let i = all.findIndex((r) => r.classList.contains("current"));
    if (i >= 0) all[i].classList.remove("current");
    i = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + step));
    all[i].classList.add("current");
    all[i].scrollIntoView({ block: "nearest" });
  }

  // The queue remembers its order so j/k on a ticket page walk through the same list.
  const QUEUE_KEY = "opora.queue";
  function rememberQueue() {
    const all = rows();
    if (all.length) sessionStorage.setItem(QUEUE_KEY, JSON.stringify(all.map((r) => r.dataset.href)));
  }
  function stepTicket(step) {
    const ticket = document.getElementById("ticket");
    if (!ticket) return false;
    let list = [];
    try { list = JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "[]"); } catch (err) { list = []; }
    const i = list.indexOf(window.location.pathname);
    const next = i >= 0 ? list[i + step] : undefined;
    if (next) window.location.href = next;
    return true;
  }
  document.addEventListener("DOMContentLoaded", rememberQueue);
  document.addEventListener("htmx:afterSwap", rememberQueue);

  function current() { return document.querySelector(".ticket-row.current"); }

  function focusComposer(kind) {
    const body = document.getElementById("composer-body");
    if (!body) return;
    const radio = document.querySelector('#composer input[name="kind"][value="' + kind + '"]');
    if (radio) radio.checked = true;
    body.focus();
  }

  // "Insert link" / "Insert text" of the Related articles card: at the cursor, on a
  // line of its own, leaving the cursor after the inserted words.
  function insertIntoComposer(text) {
    const body = document.getElementById("composer-body");
    if (!body || !text) return;
    const start = body.selectionStart, end = body.selectionEnd;
    const before = body.value.slice(0, start), after = body.value.slice(end);
    const lead = before && !before.endsWith("\n") ? "\n\n" : "";
    const tail = after && !after.startsWith("\n") ? "\n" : "";
    body.setRangeText(lead + text + tail, start, end, "end");
    body.focus();
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function updateSelection() {
    const count = document.querySelector("[data-selected-count]");
    if (count) count.textContent = document.querySelectorAll('#bulk input[name="ticket"]:checked').length;
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      const form = e.target.closest && e.target.closest("form");
      if (form) { e.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const help = document.getElementById("help");
    switch (e.key) {
      case "j": if (!stepTicket(1)) move(1); break;
      case "k": if (!stepTicket(-1)) move(-1); break;
      case "Enter": case "o": {
        const row = current();
        if (row) window.location.href = row.dataset.href;
        else return;
        break;
      }
      case "x": {
        const row = current();
        if (!row) return;
        const box = row.querySelector('input[name="ticket"]');
        box.checked = !box.checked; updateSelection();
        break;
      }
      case "/": { const q = document.getElementById("q"); if (q) q.focus(); else return; break; }
      case "r": focusComposer("reply"); break;
      case "n": focusComposer("note"); break;
      case "?": if (help) help.open ? help.close() : help.showModal(); break;
      default: return;
    }
    e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    const t = e.target;
    if (t.closest("[data-help-open]")) {
      const help = document.getElementById("help");
      if (help) help.showModal();
      return;
    }
    const insert = t.closest("[data-insert]");
    if (insert) {
      insertIntoComposer(insert.dataset.insert);
      return;
    }
    if (t.matches("[data-check-all]")) {
      document.querySelectorAll('#bulk input[name="ticket"]').forEach((b) => { b.checked = t.checked; });
      updateSelection();
      return;
    }
    const row = t.closest(".ticket-row");
    if (row && !t.closest("a, input, label, button")) {
      window.location.href = row.dataset.href;
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches('#bulk input[name="ticket"]')) updateSelection();
  });

  // Flash messages fade after a while; the page stays usable behind them.
  window.setTimeout(function () {
    document.querySelectorAll(".flash-stack").forEach((el) => { el.style.transition = "opacity .6s"; el.style.opacity = "0"; window.setTimeout(() => el.remove(), 700); });
  }, 6000);
})();

// SLA countdowns on the ticket page: [data-countdown] holds an ISO due time; the text
// ticks every second and turns into "overdue by …" once the moment has passed.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function span(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  function tick() {
    document.querySelectorAll("[data-countdown]").forEach((el) => {
      const due = Date.parse(el.dataset.countdown);
      if (Number.isNaN(due)) return;
      const left = Math.round((due - Date.now()) / 1000);
      el.classList.toggle("overdue", left < 0);
      el.textContent = left < 0 ? el.dataset.overdueLabel + " " + span(-left) : span(left);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    tick();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
