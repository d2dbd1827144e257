// Copy buttons, shown only where the Clipboard API exists (secure contexts); elsewhere what they
// would copy selects itself (the fallback: select, then Ctrl+C).
//   data-copy-text="…"   copies that text (the audit log's MS-RequestId and MS-CorrelationId; the
//                        ids also select whole on a click, CSS user-select: all); the button
//                        says "Copied" for a moment.
//   data-copy-from="id"  copies the value of that field (a one-time password); the box's
//                        [data-copy-status] says what happened, and the box is marked copied so
//                        a modal showing it may close without asking (static/js/modal.js).
// A field with data-select-on-focus selects itself when focused.
(function () {
  "use strict";

  var BUTTONS = "[data-copy-text], [data-copy-from]";

  function canCopy() {
    return !!(navigator.clipboard && window.isSecureContext);
  }

  function statusFor(button) {
    var box = button.closest(".password-once");
    return box ? box.querySelector("[data-copy-status]") : null;
  }

  function say(status, text) {
    if (status) {
      status.textContent = text;
    }
  }

  function markCopied(field) {
    var box = field.closest ? field.closest(".password-once") : null;
    if (box) {
      box.dataset.copied = "true";
    }
  }

  function setUp(root) {
    var allowed = canCopy();
    var buttons = (root || document).querySelectorAll(BUTTONS);
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = !allowed;
      if (allowed && button.hasAttribute("data-copy-from")) {
        say(statusFor(button), "Select Copy, or select the password and copy it.");
      }
    });
  }

  function copyText(button) {
    navigator.clipboard.writeText(button.getAttribute("data-copy-text")).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () {
        button.textContent = label;
      }, 1500);
    });
  }

  function copyField(button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    var status = statusFor(button);
    if (!field) {
      return;
    }
    navigator.clipboard.writeText(field.value).then(
      function () {
        markCopied(field);
        say(status, "Copied. Paste it where the user will get it.");
      },
      function () {
        field.focus();
        field.select();
        say(status, "The browser did not allow copying: the password is selected, press Ctrl+C.");
      }
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(BUTTONS) : null;
    if (!button) {
      return;
    }
    if (button.hasAttribute("data-copy-from")) {
      copyField(button);
    } else {
      copyText(button);
    }
  });
  document.addEventListener("copy", function (event) {
    // Copied by hand (select, Ctrl+C) from a one-time password field.
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      markCopied(event.target);
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });
  window.portalOnLoad(setUp);
})();
