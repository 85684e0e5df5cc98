// Names each autocomplete box (Select2) for screen readers: Select2 draws the chosen value in
// a text box of its own that nothing labels. The box takes the name of the select it stands
// for, whenever Select2 draws one (on load, and in each row added to an inline).
(function () {
  "use strict";
  function nameBox(box) {
    var match = /^select2-(.+)-container$/.exec(box.id);
    var select = match && document.getElementById(match[1]);
    if (!select || box.hasAttribute("aria-label")) return;
    var name = select.getAttribute("aria-label");
    if (!name) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      name = label && label.textContent.replace(/:\s*$/, "").trim();
    }
    if (name) box.setAttribute("aria-label", name);
  }
  function nameBoxes(root) {
    if (root.querySelectorAll) root.querySelectorAll(".select2-selection__rendered").forEach(nameBox);
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) { change.addedNodes.forEach(nameBoxes); });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
