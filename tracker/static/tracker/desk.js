// The reading desk on a source page: a selection in the text becomes its character offsets
// in the stored text (each text run carries `data-start`), which the desk's forms send; the
// server cuts the quote from the text itself. Without this script the offsets are typed.
(function () {
  "use strict";

  var text, panel, startInput, endInput;

  function runOf(node) {
    var element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    var run = element && element.closest("[data-start]");
    return run && text.contains(run) ? run : null;
  }

  // Characters of `run` before the text node `node` (a run may hold marks inside it).
  function charactersBefore(run, node) {
    var walker = document.createTreeWalker(run, NodeFilter.SHOW_TEXT);
    var count = 0;
    for (var current = walker.nextNode(); current && current !== node; current = walker.nextNode()) {
      count += current.data.length;
    }
    return count;
  }

  // The offset in the stored text of a boundary of the selection. A boundary between runs
  // (on a paragraph, a line break) moves to the next run's start, or the previous run's end.
  function offsetAt(node, offset, isEnd) {
    var run = runOf(node);
    if (run && node.nodeType === Node.TEXT_NODE) {
      return Number(run.dataset.start) + charactersBefore(run, node) + offset;
    }
    var point = document.createRange();
    point.setStart(node, offset);
    var runs = text.querySelectorAll("[data-start]");
    var found = null;
    for (var i = 0; i < runs.length; i++) {
      var after = point.comparePoint(runs[i], 0) >= 0;
      if (!isEnd && after) return Number(runs[i].dataset.start);
      if (isEnd && !after) found = Number(runs[i].dataset.start) + runs[i].textContent.length;
    }
    return found;
  }

  function showSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    if (!text.contains(range.commonAncestorContainer)) return;
    var start = offsetAt(range.startContainer, range.startOffset, false);
    var end = offsetAt(range.endContainer, range.endOffset, true);
    if (start === null || end === null || end <= start) return;
    startInput.value = start;
    endInput.value = end;
    var words = selection.toString().replace(/\s+/g, " ").trim();
    document.getElementById("desk-chosen-text").textContent =
      words.length > 220 ? words.slice(0, 110) + " … " + words.slice(-100) : words;
    document.getElementById("desk-chosen").hidden = false;
    panel.classList.add("has-selection");
    syncAttachForm();
  }

  function syncAttachForm() {
    var start = document.getElementById("desk-attach-start");
    var end = document.getElementById("desk-attach-end");
    if (start) start.value = startInput.value;
    if (end) end.value = endInput.value;
  }

  // Type-ahead over every kind of record; each one found is a button that cites the selection.
  var timer = null;
  function findRecords(input) {
    var query = input.value.trim();
    var list = document.getElementById("desk-found");
    if (query.length < 2) { list.replaceChildren(); return; }
    fetch(input.dataset.records + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        list.replaceChildren.apply(list, data.results.map(function (item) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "submit";
          button.name = "record";
          button.value = item.value;
          button.className = "desk-record";
          button.textContent = item.label;
          li.appendChild(button);
          return li;
        }));
      }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    text = document.getElementById("source-text");
    panel = document.getElementById("desk-panel");
    if (!text || !panel) return;
    startInput = document.getElementById("desk-start");
    endInput = document.getElementById("desk-end");
    panel.classList.add("is-enhanced");
    document.addEventListener("selectionchange", function () {
      clearTimeout(timer);
      timer = setTimeout(showSelection, 120);
    });
    startInput.addEventListener("input", syncAttachForm);
    endInput.addEventListener("input", syncAttachForm);
    var query = document.getElementById("desk-q");
    if (query) {
      var typing = null;
      query.addEventListener("input", function () {
        clearTimeout(typing);
        typing = setTimeout(function () { findRecords(query); }, 200);
      });
    }
    var attach = document.getElementById("desk-attach-form");
    if (attach) {
      attach.addEventListener("submit", function (event) {
        syncAttachForm();
        if (!startInput.value || !endInput.value) {
          event.preventDefault();
          document.getElementById("desk-hint").classList.add("is-urgent");
        }
      });
    }
  });
})();
