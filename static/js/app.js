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
    // A save that returns to a section (`#samtaler`) shows its message in that section
    // (fravaer/templatetags/messages_at.py). The browser's scroll to the fragment would
    // clear an earlier focus: focus the section's message once that scroll is done,
    // without moving the view, so the section and its message stay in sight.
    window.addEventListener("load", function () {
      window.setTimeout(function () {
        var section = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
        var inSection = section && section.querySelector("[data-focus-on-load]");
        focusMarked(inSection ? section : document, true);
      }, 0);
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    // The swap brought its own messages: earlier ones elsewhere on the page (from the
    // last full page load or another swap) are about an earlier action, and two green
    // boxes would read as one result.
    var swapped = event.detail.elt;
    if (swapped && swapped.querySelector && swapped.querySelector(".messages")) {
      Array.prototype.forEach.call(document.querySelectorAll(".messages"), function (box) {
        if (!swapped.contains(box)) box.remove();
      });
    }
    focusMarked(swapped);
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

  // A form is sent once. Every POST form carries a random key (`_submission`); the
  // server saves a key once (fravaer.middleware.OncePerSubmissionMiddleware) and sends
  // a repeat where the first went. Here a second click while the first request is on
  // its way is dropped, and the buttons say so (aria-disabled: a `disabled` submitter
  // would leave its name and value out of the request).
  var KEY_FIELD = "_submission";
  var BUSY = "data-submitting";
  // A form whose answer never replaces the page (a download) is free again after this;
  // a repeat with the same key is still saved once.
  var BUSY_MS = 10000;

  function newKey() {
    var cryptoObj = window.crypto;
    if (cryptoObj && typeof cryptoObj.randomUUID === "function") return cryptoObj.randomUUID();
    var bytes = new Uint8Array(16);
    if (cryptoObj && cryptoObj.getRandomValues) {
      cryptoObj.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function isPostForm(el) {
    return el instanceof HTMLFormElement && el.method === "post";
  }

  function postForms(root) {
    var found = [];
    if (isPostForm(root)) found.push(root);
    if (root && root.querySelectorAll) {
      Array.prototype.forEach.call(root.querySelectorAll("form"), function (form) {
        if (isPostForm(form)) found.push(form);
      });
    }
    return found;
  }

  function addKeys(root) {
    postForms(root).forEach(function (form) {
      if (form.elements.namedItem(KEY_FIELD)) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = KEY_FIELD;
      input.value = newKey();
      form.appendChild(input);
    });
  }

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.type === "submit";
    });
  }

  function markBusy(form) {
    form.setAttribute(BUSY, "");
    submitButtons(form).forEach(function (button) {
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      button.setAttribute(BUSY, "");
    });
    window.clearTimeout(form._submittingTimer);
    form._submittingTimer = window.setTimeout(function () { release(form); }, BUSY_MS);
  }

  function release(root) {
    var marked = [];
    if (root.hasAttribute && root.hasAttribute(BUSY)) marked.push(root);
    Array.prototype.push.apply(marked, root.querySelectorAll("[" + BUSY + "]"));
    marked.forEach(function (el) {
      el.removeAttribute(BUSY);
      if (el instanceof HTMLFormElement) {
        window.clearTimeout(el._submittingTimer);
        // Buttons outside the form (form="…") are released with it.
        submitButtons(el).forEach(function (button) {
          if (!button.hasAttribute(BUSY)) return;
          button.removeAttribute(BUSY);
          button.removeAttribute("aria-disabled");
        });
      } else {
        el.removeAttribute("aria-disabled");
      }
    });
  }

  // Capture phase, after the confirm question above (which stops a cancelled submit):
  // a form already on its way is not sent again, neither natively nor by htmx.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !isPostForm(form)) return;
    if (form.hasAttribute(BUSY)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Bubble phase, after every other handler: a submit nobody cancelled is the browser's
  // own. htmx cancels it to send its own request, so its forms are marked below.
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented && isPostForm(event.target)) markBusy(event.target);
  });

  function htmxForm(event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    return isPostForm(form) ? form : null;
  }

  // Just before htmx sends (a request another handler cancelled never comes here).
  document.addEventListener("htmx:beforeSend", function (event) {
    var form = htmxForm(event);
    if (form) markBusy(form);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = htmxForm(event);
    if (!form) return;
    release(form);
    // Answered: sending this form again (if the swap left it in place) is a new
    // submission. A request that failed keeps its key, so a retry is saved once.
    var input = form.elements.namedItem(KEY_FIELD);
    if (event.detail.successful && input) input.value = newKey();
  });

  document.addEventListener("DOMContentLoaded", function () { addKeys(document); });
  // htmx:load comes for the page and for every piece of content htmx swaps in.
  document.addEventListener("htmx:load", function (event) { addKeys(event.target); });
  document.addEventListener("htmx:historyRestore", function () { release(document); });
  // Back to a page the browser kept (back/forward cache): its forms may be sent again,
  // with the same key, so a form sent before is still saved once.
  window.addEventListener("pageshow", function () { release(document); });

  // A table wider than the screen scrolls inside its `.table-wrap`. Keyboard users
  // scroll it with the arrow keys once it has focus, so a wrap that overflows is made a
  // focusable, named group (WCAG 2.1.1; axe "scrollable-region-focusable"; not a region
  // landmark, which would repeat its section's name); one that
  // fits is left alone. Named by the table's caption, or else the section's heading.
  var SCROLL_MARK = "data-scroll-region";

  function regionName(wrap) {
    var table = wrap.querySelector("table");
    var caption = table && table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    if (table && table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    var section = wrap.closest("section, main");
    var heading = section && section.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "";
  }

  function markScrollRegions(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var wraps = Array.prototype.slice.call(scope.querySelectorAll(".table-wrap"));
    if (scope.classList && scope.classList.contains("table-wrap")) wraps.push(scope);
    wraps.forEach(function (wrap) {
      var overflows = wrap.scrollWidth > wrap.clientWidth + 1;
      if (overflows && !wrap.hasAttribute("tabindex")) {
        var name = regionName(wrap);
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "group");
        if (name) wrap.setAttribute("aria-label", name);
        wrap.setAttribute(SCROLL_MARK, "");
      } else if (!overflows && wrap.hasAttribute(SCROLL_MARK)) {
        if (wrap === document.activeElement) return; // never pull focus from under the user
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        wrap.removeAttribute(SCROLL_MARK);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { markScrollRegions(document); });
  document.addEventListener("htmx:afterSettle", function () { markScrollRegions(document); });
  var resizeTimer;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { markScrollRegions(document); }, 150);
  });

  // A page whose in-place save came back with errors says so first in its title, as a
  // full page load of the same answer does (base.html): the title is the first thing a
  // screen reader reads, and a tab's title is what a user sees of it (WCAG 3.3.1).
  function markTitle() {
    var word = document.getElementById("error-title-prefix");
    if (!word) return;
    var prefix = word.textContent + ": ";
    var failed = !!document.querySelector("main .ds-error-summary");
    var has = document.title.indexOf(prefix) === 0;
    if (failed && !has) document.title = prefix + document.title;
    else if (!failed && has) document.title = document.title.slice(prefix.length);
  }
  document.addEventListener("htmx:afterSettle", markTitle);

  // An in-place save that got no answer to show (403 from a security check that failed
  // after a login in another tab, a server error, no network) would otherwise change
  // nothing on the page: say beside the form that nothing was saved, and put focus there.
  function showRequestFailed(event, kind) {
    var template = document.getElementById("request-failed");
    if (!template) return;
    Array.prototype.forEach.call(document.querySelectorAll(".request-failed"), function (old) {
      old.remove();
    });
    var box = template.content.firstElementChild.cloneNode(true);
    Array.prototype.forEach.call(box.querySelectorAll("[data-failed]"), function (p) {
      if (p.getAttribute("data-failed") !== kind) p.remove();
    });
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    var main = document.getElementById("main");
    if (form && form.parentNode) form.parentNode.insertBefore(box, form);
    else if (main) main.insertBefore(box, main.firstChild);
    else return;
    box.focus();
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showRequestFailed(event, status === 403 ? "403" : "other");
  });
  document.addEventListener("htmx:sendError", function (event) {
    showRequestFailed(event, "network");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".request-failed"), function (old) {
      old.remove();
    });
  });

  // The header's menu (a <details>, templates/base.html) works without this; here it
  // closes on Escape (focus back on its summary) and on a click outside it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = document.querySelector("details.user-menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });
  document.addEventListener("click", function (event) {
    var menu = document.querySelector("details.user-menu[open]");
    if (menu && !menu.contains(event.target)) menu.open = false;
  });
})();
