// The reply coach in the ticket composer: as the agent types a public reply, the draft
// is checked (debounced) by POST /api/v1/tickets/N/coach; missing etiquette and warnings
// are listed under the text, and a greeting or closing is inserted with one click.
// The ticket page is swapped by htmx after each reply, so everything is delegated.
(() => {
  "use strict";
  const WAIT_MS = 600;
  let timer = 0;
  let sent = 0;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (err) { return ""; }
  }

  function isReply(form) {
    const kind = form.querySelector("input[name=kind]:checked");
    return !kind || kind.value === "reply";
  }

  function render(box, advice, textarea) {
    box.replaceChildren();
    if (!advice || advice.passed) {
      box.hidden = !advice;
      if (advice) {
        const ok = document.createElement("p");
        ok.className = "coach-ok";
        ok.textContent = box.dataset.passed || "";
        box.append(ok);
      }
      return;
    }
    const list = document.createElement("ul");
    for (const problem of advice.problems) {
      const item = document.createElement("li");
      item.dataset.rule = problem.rule;
      item.append(document.createTextNode(problem.hint));
      if (problem.found) {
        const found = document.createElement("q");
        found.textContent = problem.found;
        item.append(" ", found);
      }
      if (problem.fix) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-small";
        button.dataset.coachFix = problem.fix;
        button.textContent = box.dataset["fix" + problem.fix[0].toUpperCase() + problem.fix.slice(1)] || problem.fix;
        button.addEventListener("click", () => {
          textarea.value = problem.fixed;
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
          textarea.focus();
        });
        item.append(" ", button);
      }
      list.append(item);
    }
    box.append(list);
    box.hidden = false;
  }

  async function check(textarea) {
    const form = textarea.closest("form");
    const box = form && form.querySelector("[data-coach]");
    if (!box) return;
    if (!isReply(form) || !textarea.value.trim()) { render(box, null, textarea); return; }
    const mine = ++sent;
    try {
      const r = await fetch(box.dataset.coach, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ body: textarea.value.slice(0, 20000) }),
      });
      if (!r.ok || mine !== sent) return;
      render(box, await r.json(), textarea);
    } catch (err) { /* the coach is advice: offline, the composer still works */ }
  }

  document.addEventListener("input", (e) => {
    const t = e.target;
    if (!(t instanceof HTMLTextAreaElement) || t.id !== "composer-body") return;
    clearTimeout(timer);
    timer = setTimeout(() => check(t), WAIT_MS);
  });
  document.addEventListener("change", (e) => {
    const t = e.target;
    if (t instanceof HTMLInputElement && t.name === "kind") {
      const body = document.getElementById("composer-body");
      if (body) check(body);
    }
  });
})();
