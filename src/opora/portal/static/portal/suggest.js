// The new-request form suggests help-center articles while the customer types the
// subject: the help center's own search (GET /api/v1/kb/suggest), debounced, each
// article opening in a new tab so the form keeps what was typed.
(function () {
  "use strict";
  var box = document.querySelector("[data-suggestions]");
  if (!box) { return; }
  var subject = document.getElementById(box.getAttribute("data-for"));
  var list = box.querySelector("[data-suggestion-list]");
  var url = box.getAttribute("data-url");
  var lang = box.getAttribute("data-lang");
  var timer = null;
  var last = "";

  function show(results, query) {
    list.textContent = "";
    results.slice(0, 5).forEach(function (article) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/help/articles/" + article.id + "/?suggested=" + encodeURIComponent(query.slice(0, 250));
      link.textContent = article.title;
      link.target = "_blank";
      link.rel = "noopener";
      item.appendChild(link);
      list.appendChild(item);
    });
    box.hidden = results.length === 0;
  }

  function suggest() {
    var query = subject.value.trim();
    if (query === last) { return; }
    last = query;
    if (query.length < 3) { show([], query); return; }
    fetch(url + "?lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(query.slice(0, 400)), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (results) { if (query === last) { show(results, query); } })
      .catch(function () { show([], query); });
  }

  subject.setAttribute("autocomplete", "off");
  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 300);
  });
})();
