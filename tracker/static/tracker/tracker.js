// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Suggestions for record inputs (parties, agreements…): fetched as one types.
  var timers = new WeakMap();
  function suggest(input) {
    var query = input.value.trim();
    var list = document.getElementById(input.getAttribute("list"));
    if (!list || query.length < 2) return;
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        list.replaceChildren.apply(list, data.results.map(function (item) {
          var option = document.createElement("option");
          option.value = item.value;
          option.textContent = item.label;
          return option;
        }));
      }).catch(function () {});
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.suggest) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { suggest(input); }, 200));
    // A multiple input keeps one empty slot to add another record.
    var group = input.closest(".slug-inputs");
    if (group && group.dataset.multiple === "true") {
      var inputs = group.querySelectorAll("input");
      var last = inputs[inputs.length - 1];
      if (last.value.trim() !== "") {
        var item = last.closest(".slug-item").cloneNode(true);
        var clone = item.querySelector("input");
        clone.value = "";
        clone.id = last.id.replace(/_\d+$/, "") + "_" + inputs.length;
        clone.removeAttribute("placeholder");
        var note = item.querySelector(".slug-name");
        if (note) note.remove();
        group.appendChild(item);
      }
    }
  });

  // Filter forms leave empty fields out of the address, so it stays short to bookmark.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("filter-form")) return;
    form.querySelectorAll("input[type=text], input[type=date], select").forEach(function (field) {
      if (field.name && field.value === "") field.disabled = true;
    });
  });

  // On a source page, mark every piece of the quote the address points at.
  function markTarget() {
    document.querySelectorAll("mark.is-target").forEach(function (mark) { mark.classList.remove("is-target"); });
    var match = /^#citation-(\d+)$/.exec(window.location.hash);
    if (!match) return;
    document.querySelectorAll('mark[data-citation="' + match[1] + '"]').forEach(function (mark) {
      mark.classList.add("is-target");
    });
  }
  window.addEventListener("hashchange", markTarget);
  document.addEventListener("DOMContentLoaded", function () {
    markTarget();
    // On a phone the filters start folded, so the results are on the first screen.
    var panel = document.querySelector(".filter-panel");
    if (panel && !panel.hasAttribute("data-has-errors") && window.matchMedia("(max-width: 760px)").matches) {
      panel.removeAttribute("open");
    }
  });
})();
