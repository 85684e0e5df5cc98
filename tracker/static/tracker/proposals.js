// The source page's "possibly new" panel: fetched from its own page once the source page is
// shown, so that finding names never delays the text. Without script, the link leads there.
(function () {
  "use strict";
  var placeholder = document.querySelector("#proposals[data-panel]");
  if (!placeholder || !window.fetch || !window.DOMParser) return;
  fetch(placeholder.dataset.panel, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    })
    .then(function (html) {
      var panel = new DOMParser().parseFromString(html, "text/html").getElementById("proposals");
      if (panel) placeholder.replaceWith(document.importNode(panel, true));
    })
    .catch(function () {
      // The link to the panel's page stays.
    });
})();
