// The composer's macro picker: "m" (outside a text field) or Ctrl+/ (anywhere) opens it;
// type to search, arrows to move, Enter to choose, Escape to close. Choosing fills the
// composer with the macro's text as it will be sent on this ticket and lists the
// changes it will make; the hidden "macro" field makes the send apply them with the
// reply in one change. Texts come from data-* attributes, so they are translated.
(function () {
  "use strict";

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setup() {
    var root = document.querySelector("[data-macro-picker]");
    var form = document.getElementById("composer");
    if (!root || !form || root.dataset.ready) return;
    root.dataset.ready = "1";
    var ticket = root.dataset.ticket;
    var dialog = root.querySelector("[data-macro-dialog]");
    var search = root.querySelector("[data-macro-search]");
    var list = root.querySelector("[data-macro-list]");
    var chosen = form.querySelector("[data-macro-chosen]");
    var field = form.querySelector("input[name=macro]");
    var body = form.querySelector("#composer-body");
    var rows = [];
    var active = 0;
    var timer = null;

    function render() {
      list.textContent = "";
      if (!rows.length) {
        var empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = root.dataset.empty;
        list.appendChild(empty);
        return;
      }
      rows.forEach(function (m, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = "macro-option-" + m.id;
        li.dataset.macroOption = m.id;
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.textContent = m.title;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      search.setAttribute("aria-activedescendant", "macro-option-" + rows[active].id);
    }

    function load() {
      var url = "/api/v1/macros?picker=true&q=" + encodeURIComponent(search.value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) { rows = found; active = 0; render(); });
    }

    function open() {
      dialog.hidden = false;
      search.value = "";
      load();
      search.focus();
    }

    function close() {
      dialog.hidden = true;
      body.focus();
    }

    function choose(i) {
      var m = rows[i];
      if (!m) return;
      fetch("/api/v1/tickets/" + ticket + "/macros/" + m.id + "/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf(form) },
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (preview) {
          if (!preview) return;
          body.value = preview.body;
          field.value = m.id;
          chosen.hidden = false;
          chosen.querySelector("[data-macro-title]").textContent = m.title;
          var actions = chosen.querySelector("[data-macro-actions]");
          actions.textContent = "";
          preview.actions.forEach(function (a) {
            var li = document.createElement("li");
            li.textContent = a.label;
            actions.appendChild(li);
          });
          if (!preview.actions.length) {
            var none = document.createElement("li");
            none.className = "muted";
            none.textContent = root.dataset.noActions;
            actions.appendChild(none);
          }
          close();
        });
    }

    function forget() {
      field.value = "";
      chosen.hidden = true;
    }

    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 120);
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!rows.length) return;
        active = (active + (e.key === "ArrowDown" ? 1 : rows.length - 1)) % rows.length;
        render();
      } else if (e.key === "Enter") {
        e.preventDefault();
        choose(active);
      } else if (e.key === "Escape") {
        e.preventDefault();
        close();
      }
    });
    root.querySelector("[data-macro-open]").addEventListener("click", open);
    chosen.querySelector("[data-macro-forget]").addEventListener("click", forget);
    root.openPicker = open;
  }

  document.addEventListener("keydown", function (e) {
    var root = document.querySelector("[data-macro-picker]");
    if (!root || !root.openPicker) return;
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if ((e.ctrlKey && e.key === "/") || (!typing && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === "m")) {
      e.preventDefault();
      root.openPicker();
    }
  });

  document.addEventListener("DOMContentLoaded", setup);
  // The ticket is swapped by htmx after every change: set the new composer up again.
  document.addEventListener("htmx:afterSwap", setup);
  if (document.readyState !== "loading") setup();
})();
