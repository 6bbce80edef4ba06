// The Automation section: moving triggers with the keyboard, and the trigger editor's
// condition and action rows (add, remove, and the value control each field calls for).
// Rows the server drew post as they are without this script; the choices come from the
// page's JSON (no inline script, so the strict CSP holds).
(function () {
  "use strict";

  // --- The list: Alt+↑ / Alt+↓ on a row presses its arrow button ---------------------
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    const row = event.target.closest && event.target.closest("[data-order-row]");
    if (!row) return;
    const button = row.querySelector(
      "[data-move='" + (event.key === "ArrowUp" ? "up" : "down") + "']"
    );
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
  if (location.hash) {
    const moved = document.getElementById(location.hash.slice(1));
    if (moved && moved.hasAttribute("data-order-row")) moved.focus();
  }

  // --- The editor -------------------------------------------------------------------
  const form = document.querySelector("[data-trigger-form]");
  const source = document.getElementById("automation-vocabulary");
  if (!form || !source) return;
  const vocab = JSON.parse(source.textContent);
  const labels = vocab.labels;
  let next = 0;
  form.querySelectorAll("[data-row]").forEach(function (row) {
    next = Math.max(next, Number(row.dataset.index) + 1);
  });

  function element(tag, attrs) {
    const made = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { made.setAttribute(key, attrs[key]); });
    return made;
  }

  function select(name, choices, label, multiple) {
    const control = element("select", { name: name, "aria-label": label });
    if (multiple) { control.multiple = true; control.size = 4; }
    choices.forEach(function (choice) {
      const option = element("option", { value: choice[0] });
      option.textContent = choice[1];
      control.appendChild(option);
    });
    return control;
  }

  function text(name, label, hint) {
    const input = element("input", { type: "text", name: name, "aria-label": label });
    if (hint) input.placeholder = hint;
    return input;
  }

  function textarea(name, label) {
    const area = element("textarea", { name: name, rows: "3", "aria-label": label });
    area.placeholder = label;
    return area;
  }

  function conditionValue(row) {
    const field = vocab.fields[row.querySelector("[data-field]").value];
    const operator = row.querySelector("[data-operator]").value;
    const name = "c-" + row.dataset.index + "-value";
    const slot = row.querySelector("[data-value]");
    slot.replaceChildren();
    if (operator === "is_set" || operator === "is_not_set") return;
    if (!field.choices) {
      const hint = row.querySelector("[data-field]").value === "tags" ? labels.tags_hint : "";
      slot.appendChild(text(name, labels.value, hint));
    } else {
      const multiple = operator === "in" || operator === "not_in";
      slot.appendChild(select(name, field.choices, labels.value, multiple));
    }
  }

  function operators(row) {
    const field = vocab.fields[row.querySelector("[data-field]").value];
    const control = row.querySelector("[data-operator]");
    control.replaceChildren();
    field.operators.forEach(function (op) {
      const option = element("option", { value: op });
      option.textContent = vocab.operators[op];
      control.appendChild(option);
    });
  }

  function actionValue(row) {
    const kind = row.querySelector("[data-type]").value;
    const spec = vocab.actions[kind];
    const prefix = "a-" + row.dataset.index + "-";
    const slot = row.querySelector("[data-value]");
    slot.replaceChildren();
    if (kind === "notify") {
      slot.appendChild(select(prefix + "to", spec.choices, labels.value, false));
      const subject = text(prefix + "subject", labels.subject, labels.subject);
      slot.appendChild(subject);
      slot.appendChild(textarea(prefix + "body", labels.body));
    } else if (kind === "reply") {
      slot.appendChild(textarea(prefix + "value", labels.value));
    } else if (!spec.choices) {
      const hint = kind === "add_tags" || kind === "remove_tags" ? labels.tags_hint : "";
      slot.appendChild(text(prefix + "value", labels.value, hint));
    } else {
      slot.appendChild(select(prefix + "value", spec.choices, labels.value, false));
    }
  }

  function newRow(kind) {
    const index = next++;
    const row = element("div", { class: "rule-row", "data-row": kind, "data-index": index });
    const remove = element("button", {
      class: "btn btn-sm", type: "button", "data-remove-row": "",
      "aria-label": labels.remove, title: labels.remove,
    });
    remove.textContent = "×";
    const slot = element("span", { class: "rule-value", "data-value": "" });
    if (kind === "condition") {
      const fields = Object.keys(vocab.fields).map(function (k) {
        return [k, vocab.fields[k].label];
      });
      const field = select("c-" + index + "-field", fields, labels.field, false);
      field.setAttribute("data-field", "");
      const operator = element("select", {
        name: "c-" + index + "-operator", "aria-label": labels.operator, "data-operator": "",
      });
      row.append(field, operator, slot, remove);
      operators(row);
      conditionValue(row);
    } else {
      const kinds = Object.keys(vocab.actions).map(function (k) {
        return [k, vocab.actions[k].label];
      });
      const type = select("a-" + index + "-type", kinds, labels.action, false);
      type.setAttribute("data-type", "");
      row.append(type, slot, remove);
      actionValue(row);
    }
    return row;
  }

  function refreshEmpty(list) {
    const empty = list.closest("[data-rows]").querySelector("[data-no-rows]");
    if (empty) empty.hidden = list.children.length > 0;
  }

  form.addEventListener("change", function (event) {
    const row = event.target.closest("[data-row]");
    if (!row) return;
    if (event.target.hasAttribute("data-field")) {
      operators(row);
      conditionValue(row);
    } else if (event.target.hasAttribute("data-operator")) {
      conditionValue(row);
    } else if (event.target.hasAttribute("data-type")) {
      actionValue(row);
    } else {
      return;
    }
    row.classList.remove("invalid");
    const error = row.querySelector("[data-row-error]");
    if (error) error.remove();
  });

  form.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-add-row")) {
      const list = button.closest("[data-rows]").querySelector("[data-row-list]");
      const row = newRow(button.dataset.addRow);
      list.appendChild(row);
      refreshEmpty(list);
      row.querySelector("select").focus();
    } else if (button.hasAttribute("data-remove-row")) {
      const list = button.closest("[data-row-list]");
      const fieldset = button.closest("[data-rows]");
      button.closest("[data-row]").remove();
      refreshEmpty(list);
      fieldset.querySelector("[data-add-row]").focus();
    }
  });
})();
