// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // After a page load or an htmx swap, move focus to the element that announces the
  // result (a status message or an error summary), so keyboard and screen-reader
  // users land where the change is (WCAG 2.4.3).
  function focusMarked(root) {
    var el = (root || document).querySelector("[data-focus-on-load]");
    if (el) {
      if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
      el.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusMarked(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusMarked(event.detail.elt);
  });

  // Ask before a destructive action (buttons carry data-confirm with the question).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

})();
