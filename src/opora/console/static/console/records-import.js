// The import page's progress bar: asks the API every second until the job ends, then
// reloads the page (which says what happened).
(function () {
  "use strict";
  var box = document.querySelector("[data-progress]");
  if (!box) return;
  var state = box.getAttribute("data-state");
  if (state === "done" || state === "failed") return;
  var bar = box.querySelector("[data-bar]");
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) return;
        bar.max = job.total || 1;
        bar.value = job.done;
        if (job.state === "done" || job.state === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
