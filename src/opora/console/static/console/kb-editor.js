// The article editor's live preview: the Markdown goes to the server's own renderer
// (the help center's, with its sanitizer) a moment after typing stops, and the
// sanitized HTML it answers replaces the preview.
(function () {
  "use strict";
  const form = document.querySelector("[data-editor]");
  if (!form) return;
  const source = form.querySelector("[data-preview-source]");
  const target = form.querySelector("[data-preview]");
  const state = form.querySelector("[data-preview-state]");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!source || !target || !token) return;
  let timer = null;
  let sent = 0;

  async function render() {
    const number = ++sent;
    const body = new URLSearchParams({ body: source.value });
    try {
      const answer = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token.value },
      });
      if (number !== sent) return; // a newer preview is on its way
      if (!answer.ok) {
        state.textContent = "⚠";
        return;
      }
      target.innerHTML = await answer.text(); // sanitized by the server
      target.dataset.rendered = String(number);
      state.textContent = "";
    } catch (error) {
      if (number === sent) state.textContent = "⚠";
    }
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    state.textContent = "…";
    timer = setTimeout(render, 300);
  });
})();
