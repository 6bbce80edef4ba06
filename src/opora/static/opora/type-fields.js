// A new ticket's form (the portal's, the workspace's): show the fields of the chosen
// ticket type only. Without this script every type's fields show under their heading
// and the server reads the chosen type's ones.
(function () {
  "use strict";
  var select = document.querySelector("form select[name=type]");
  var sets = document.querySelectorAll("[data-type-fields]");
  if (!select || !sets.length) return;
  function follow() {
    sets.forEach(function (set) {
      var shown = set.getAttribute("data-type-fields") === select.value;
      set.hidden = !shown;
      set.disabled = !shown;
      var legend = set.querySelector("legend");
      if (legend) legend.hidden = true;
    });
  }
  select.addEventListener("change", follow);
  follow();
})();
