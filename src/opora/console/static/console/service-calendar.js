// The calendar editor: add and remove working intervals and dated days (real buttons,
// so the keyboard works); without this script the form still posts what is shown.
(function () {
  "use strict";
  const form = document.querySelector("[data-calendar-form]");
  if (!form) return;
  const spanTemplate = document.querySelector("[data-span-template]");
  const dayTemplate = document.querySelector("[data-day-template]");

  form.addEventListener("click", function (event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-add-span")) {
      const day = button.closest("[data-day]");
      const row = spanTemplate.content.firstElementChild.cloneNode(true);
      const inputs = row.querySelectorAll("input");
      const legend = day.querySelector("legend").textContent;
      inputs[0].name = "start-" + day.dataset.day;
      inputs[1].name = "end-" + day.dataset.day;
      inputs[0].setAttribute("aria-label", legend);
      inputs[1].setAttribute("aria-label", legend);
      day.querySelector("[data-spans]").appendChild(row);
      day.querySelector("[data-closed]").checked = false;
      inputs[0].focus();
    } else if (button.hasAttribute("data-remove-span")) {
      const day = button.closest("[data-day]");
      const row = button.closest("[data-span]");
      const rows = day.querySelectorAll("[data-span]");
      if (rows.length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      }
      day.querySelector("[data-add-span]").focus();
    } else if (button.hasAttribute("data-add-day")) {
      const row = dayTemplate.content.firstElementChild.cloneNode(true);
      form.querySelector("[data-days]").appendChild(row);
      row.querySelector("input").focus();
    } else if (button.hasAttribute("data-remove-day")) {
      button.closest("[data-day-row]").remove();
      form.querySelector("[data-add-day]").focus();
    }
  });
  // Typing a time into a closed day opens it.
  form.addEventListener("input", function (event) {
    const day = event.target.closest("[data-day]");
    if (day && event.target.type !== "checkbox") day.querySelector("[data-closed]").checked = false;
  });
})();
