// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // After a page load or an htmx swap, move focus to the element that announces the
  // result (a status message or an error summary), so keyboard and screen-reader
  // users land where the change is (WCAG 2.4.3).
  function focusMarked(root, keepView) {
    var el = (root || document).querySelector("[data-focus-on-load]");
    if (el) {
      if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
      el.focus({ preventScroll: !!keepView });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.location.hash) {
      focusMarked(document);
      return;
    }
    // A save that returns to a section (`#samtaler`): the browser's scroll to the
    // fragment would clear an earlier focus. Focus the message once that scroll is
    // done, without moving the view, so the section stays in sight and screen-reader
    // users still hear the result.
    window.addEventListener("load", function () {
      window.setTimeout(function () { focusMarked(document, true); }, 0);
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusMarked(event.detail.elt);
  });

  // An error summary's link points at a field or a register row. Following the link
  // only scrolls; put focus in the control to fix (the first invalid one in a row), so
  // keyboard and screen-reader users can type straight away.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".ds-error-summary a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    var field = target.matches("input, select, textarea") ? target :
      target.querySelector("[aria-invalid='true']") ||
      target.querySelector("input:not([type='hidden']):not(:disabled), select, textarea");
    if (!field) return;
    event.preventDefault();
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
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
