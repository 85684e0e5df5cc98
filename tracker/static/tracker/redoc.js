// Starts ReDoc on the API documentation page (tracker/api/redoc.html). Loaded before ReDoc's
// bundle, so that what the bundle writes at load time already goes through the two guards.
(function () {
  "use strict";
  var nonce = document.currentScript.nonce;

  // ReDoc writes its styles as <style> elements: marked with this page's nonce, they apply
  // under the Content-Security-Policy (which admits scripts from the tracker only).
  function markStyle(node) {
    if (node instanceof HTMLStyleElement && !node.nonce) node.setAttribute("nonce", nonce);
    return node;
  }
  var appendChild = Node.prototype.appendChild;
  var insertBefore = Node.prototype.insertBefore;
  Node.prototype.appendChild = function (node) {
    return appendChild.call(this, markStyle(node));
  };
  Node.prototype.insertBefore = function (node, reference) {
    return insertBefore.call(this, markStyle(node), reference);
  };

  // ReDoc's menu shows a logo taken from its CDN: the docs make no outside request.
  var blank = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
  function local(name, value) {
    return name === "src" && String(value).indexOf("https://cdn.redoc.ly/") === 0 ? blank : value;
  }
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, local(name, value));
  };
  var source = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: source.enumerable,
    get: source.get,
    set: function (value) { source.set.call(this, local("src", value)); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("redoc-container");
    Redoc.init(container.dataset.schemaUrl, { nonce: nonce }, container);
  });
})();
