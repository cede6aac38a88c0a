// The session's end is announced before it comes (WCAG 2.2.1), and what the user typed
// survives a new login (WCAG 2.2.5). Progressive enhancement: without this file the
// session still ends on the server's clock (fravaer/session_expiry.py).
(function () {
  "use strict";

  var body = document.body;
  var data = body.dataset;
  var signedIn = !!data.sessionUser;

  // ---- What the user typed, kept across a new login ------------------------------
  // When the session has ended (an htmx answer sends the page to the login page, or
  // the warning's time ran out), the page's forms with unsaved input are copied to
  // sessionStorage under the page's path. That storage belongs to this browser tab
  // only, is emptied when the tab closes and is never sent to the server: what a
  // teacher typed about a child stays in this tab. The first signed-in page after
  // that takes the copies out (all of them, so none lingers), and fills in the
  // forms if it is the same page, for the same user, with the same rows.
  var TYPED = "fravaer:typed:";
  var SKIP_TYPES = ["submit", "button", "reset", "file", "password", "image"];
  var SKIP_NAMES = ["csrfmiddlewaretoken", "_submission"];

  function pagePath() {
    return window.location.pathname + window.location.search;
  }

  function absolute(url) {
    return new URL(url || "", window.location.href).href;
  }

  function formAction(form) {
    // form.action would return an input named "action" instead.
    return absolute(form.getAttribute("action"));
  }

  function skipped(el) {
    return !el.name || el.disabled || SKIP_NAMES.indexOf(el.name) >= 0 ||
      SKIP_TYPES.indexOf(el.type) >= 0;
  }

  function defaultIndex(select) {
    var index = 0;
    Array.prototype.forEach.call(select.options, function (option, i) {
      if (option.defaultSelected) index = i;
    });
    return index;
  }

  function changed(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.type === "select-one") return el.selectedIndex !== defaultIndex(el);
    if (el.type === "select-multiple") {
      return Array.prototype.some.call(el.options, function (o) {
        return o.selected !== o.defaultSelected;
      });
    }
    return el.value !== el.defaultValue;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) { return !skipped(el); });
  }

  function isDirty(form) {
    return fields(form).some(function (el) { return el.type !== "hidden" && changed(el); });
  }

  function snapshot(form) {
    var hidden = {};
    var typed = [];
    fields(form).forEach(function (el) {
      if (el.type === "hidden") {
        hidden[el.name] = el.value;
      } else if (el.type === "checkbox" || el.type === "radio") {
        typed.push({ name: el.name, value: el.value, checked: el.checked, changed: changed(el) });
      } else if (el.type === "select-multiple") {
        var values = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
        typed.push({ name: el.name, values: values, changed: changed(el) });
      } else {
        typed.push({ name: el.name, value: el.value, changed: changed(el) });
      }
    });
    return { action: formAction(form), hidden: hidden, typed: typed };
  }

  function postForms() {
    return Array.prototype.filter.call(document.querySelectorAll("main form"), function (form) {
      return form.method === "post";
    });
  }

  function keepTyped(sender) {
    var forms = postForms().filter(function (form) { return form === sender || isDirty(form); });
    if (!signedIn || !forms.length) return;
    try {
      window.sessionStorage.setItem(TYPED + pagePath(), JSON.stringify({
        user: data.sessionUser, forms: forms.map(snapshot),
      }));
    } catch (e) { /* storage full or disabled: nothing to keep */ }
  }

  function takeCopy() {
    var mine = null;
    try {
      var storage = window.sessionStorage;
      for (var i = storage.length - 1; i >= 0; i--) {
        var key = storage.key(i);
        if (key.indexOf(TYPED) !== 0) continue;
        if (key === TYPED + pagePath()) mine = JSON.parse(storage.getItem(key));
        storage.removeItem(key);
      }
    } catch (e) { return null; }
    return mine && mine.user === data.sessionUser ? mine : null;
  }

  // A formset row's fields share a prefix ("p3-status", "p3-record"): the row's own
  // hidden fields (which pupil, which record) must be as they were, or the row's input
  // would land on another pupil or over someone else's change. Fields without a
  // prefix belong to the whole form (the day), which must be as it was too.
  function groupOf(name) {
    var dash = name.lastIndexOf("-");
    return dash > 0 ? name.slice(0, dash) : "";
  }

  function sameGroups(stored, current) {
    var differs = {};
    Object.keys(stored).concat(Object.keys(current)).forEach(function (name) {
      if (stored[name] !== current[name]) differs[groupOf(name)] = true;
    });
    return function (group) { return !differs[""] && !differs[group]; };
  }

  function setField(form, item) {
    var found = form.elements.namedItem(item.name);
    if (!found) return false;
    var list = found instanceof RadioNodeList ? Array.prototype.slice.call(found) : [found];
    var did = false;
    list.forEach(function (el) {
      if (skipped(el) || el.type === "hidden") return;
      var before;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.value !== item.value) return;
        before = el.checked;
        el.checked = item.checked;
        if (before === el.checked) return;
      } else if (el.type === "select-multiple") {
        before = JSON.stringify(Array.prototype.map.call(el.options, function (o) { return o.selected; }));
        Array.prototype.forEach.call(el.options, function (o) {
          o.selected = item.values.indexOf(o.value) >= 0;
        });
        if (before === JSON.stringify(Array.prototype.map.call(el.options, function (o) { return o.selected; }))) return;
      } else {
        if (el.value === item.value) return;
        el.value = item.value;
      }
      did = true;
      // Other scripts (a row that shows its fields for a status) follow the change.
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    return did;
  }

  function restore(form, copy) {
    var current = snapshot(form).hidden;
    var same = sameGroups(copy.hidden, current);
    var result = { restored: 0, left: 0 };
    copy.typed.forEach(function (item) {
      if (!same(groupOf(item.name))) {
        if (item.changed) result.left += 1;
        return;
      }
      if (setField(form, item)) result.restored += 1;
    });
    return result;
  }

  function announce(form, result) {
    var template = document.getElementById("typed-restored");
    if (!template) return;
    var box = template.content.firstElementChild.cloneNode(true);
    if (!result.restored) box.querySelector("[data-restored]").remove();
    if (!result.left) box.querySelector("[data-skipped]").remove();
    box.setAttribute("tabindex", "-1");
    form.parentNode.insertBefore(box, form);
    box.focus();
  }

  function restoreTyped() {
    var copy = takeCopy();
    if (!copy) return;
    var forms = postForms();
    var first = null;
    var total = { restored: 0, left: 0 };
    copy.forms.forEach(function (saved) {
      var form = forms.filter(function (f) { return formAction(f) === saved.action; })[0];
      if (!form) return;
      var result = restore(form, saved);
      total.restored += result.restored;
      total.left += result.left;
      if (!first && (result.restored || result.left)) first = form;
    });
    if (first) announce(first, total);
  }

  // ---- The warning before the session ends ----------------------------------------
  var dialog = document.getElementById("session-warning");
  if (signedIn) document.addEventListener("DOMContentLoaded", restoreTyped);
  if (!signedIn || !dialog) return;

  var DEADLINE = "fravaer:session-deadline"; // shared by this site's tabs: a time, no data
  var CHECK_MS = 15000;
  var warnMs = (parseInt(data.sessionWarning, 10) || 300) * 1000;
  var deadline = 0;
  var heard = 0; // when the server last said how long is left
  var answers = 0; // how many times it has said so
  var interacted = 0; // the user's last key press, click or input on this page
  var ending = false;
  var extending = false;
  var capped = false; // extended, and still within the warning: the cap is reached
  var finalDismissed = false;
  var returnFocus = null;
  var extendButton = dialog.querySelector("[data-session-extend]");
  var closeButton = dialog.querySelector("[data-session-close]");
  var errorBox = dialog.querySelector("[data-session-error]");

  function loginPath() {
    return new URL(data.loginUrl, window.location.href).pathname;
  }

  function clock(time) {
    var d = new Date(time);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function setDeadline(seconds, fromOtherTab) {
    if (isNaN(seconds)) return;
    deadline = Date.now() + seconds * 1000;
    heard = Date.now();
    answers += 1;
    if (seconds * 1000 > warnMs) {
      capped = false;
      finalDismissed = false;
    }
    if (!fromOtherTab) {
      try { window.localStorage.setItem(DEADLINE, String(deadline)); } catch (e) { /* private mode */ }
    }
    check();
  }

  function showWarning(final) {
    dialog.querySelector("[data-session-soon]").hidden = final;
    dialog.querySelector("[data-session-final]").hidden = !final;
    var wasFinal = extendButton.hidden;
    extendButton.hidden = final;
    closeButton.hidden = !final;
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-session-clock]"), function (el) {
      el.textContent = clock(deadline);
    });
    if (!dialog.open) {
      returnFocus = document.activeElement;
      errorBox.textContent = "";
      dialog.showModal();
      (final ? closeButton : extendButton).focus();
    } else if (final && !wasFinal) {
      closeButton.focus(); // the focused "Forleng" button has just been hidden
    }
  }

  function hideWarning() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", function () {
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  });

  function endSession() {
    ending = true;
    hideWarning();
    keepTyped(null);
    window.location.assign(data.loginUrl + "?next=" + encodeURIComponent(pagePath()));
  }

  function check() {
    if (ending || !deadline) return;
    var left = deadline - Date.now();
    if (left <= 0) {
      endSession();
    } else if (left > warnMs) {
      hideWarning();
    } else if (extending) {
      return;
    } else if (capped) {
      if (!finalDismissed) showWarning(true);
    } else if (interacted > heard && !dialog.open) {
      // Someone is working on the page (typing in the register makes no request):
      // extend quietly instead of interrupting them. The warning still comes if that
      // fails or the session has reached its cap.
      extend();
    } else {
      showWarning(false);
    }
  }

  function extend() {
    if (extending || !window.htmx) return;
    extending = true;
    errorBox.textContent = "";
    var asked = answers;
    function done() {
      extending = false;
      // The server answered (the header moved the deadline) and it is still within
      // the warning: the session cannot be extended any further.
      capped = answers > asked && deadline - Date.now() <= warnMs;
      if (answers === asked) heard = Date.now(); // failed: ask the user, not again quietly
      check();
    }
    window.htmx.ajax("POST", data.sessionExtend, { source: extendButton, swap: "none" })
      .then(done, done);
  }

  extendButton.addEventListener("click", extend);
  closeButton.addEventListener("click", function () {
    finalDismissed = true;
    hideWarning();
  });
  // Escape: the user is here. Extending keeps their work; closing the box and losing
  // the session a few minutes later would not be what they meant.
  dialog.addEventListener("cancel", function (event) {
    if (extendButton.hidden) {
      finalDismissed = true;
      return;
    }
    event.preventDefault();
    extend();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var left = xhr && xhr.getResponseHeader("Session-Expires-In");
    if (left) setDeadline(parseInt(left, 10), false);
    if (event.detail.elt === extendButton && !event.detail.successful) {
      errorBox.textContent = errorBox.getAttribute("data-message");
    }
  });
  // An answer that sends the page to the login page: the session has ended on the
  // server (idle, capped, or ended elsewhere). Keep what the user typed first.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    var target = xhr && xhr.getResponseHeader("HX-Redirect");
    if (!target || new URL(target, window.location.href).pathname !== loginPath()) return;
    ending = true;
    var elt = event.detail.elt;
    keepTyped(elt && elt.closest ? elt.closest("form") : null);
  });

  window.addEventListener("storage", function (event) {
    if (event.key === DEADLINE && event.newValue) {
      setDeadline((parseInt(event.newValue, 10) - Date.now()) / 1000, true);
    }
  });
  ["keydown", "pointerdown", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.isTrusted && !dialog.contains(event.target)) interacted = Date.now();
    }, true);
  });
  document.addEventListener("visibilitychange", check);

  document.addEventListener("DOMContentLoaded", function () {
    setDeadline(parseInt(data.sessionSeconds, 10), false);
    window.setInterval(check, CHECK_MS);
  });
})();
