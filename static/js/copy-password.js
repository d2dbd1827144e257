// The one-time password: a Copy button where the Clipboard API exists (secure contexts), and a
// read-only field that selects itself on focus everywhere (the fallback: select, then Ctrl+C).
(function () {
  "use strict";

  function statusFor(button) {
    var box = button.closest(".password-once");
    return box ? box.querySelector("[data-copy-status]") : null;
  }

  // A modal showing the password may then close without asking (static/js/modal.js).
  function markCopied(field) {
    var box = field.closest ? field.closest(".password-once") : null;
    if (box) {
      box.dataset.copied = "true";
    }
  }

  function setUp(root) {
    var canCopy = !!(navigator.clipboard && window.isSecureContext);
    var buttons = (root || document).querySelectorAll("[data-copy-from]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = !canCopy;
      var status = statusFor(button);
      if (canCopy && status) {
        status.textContent = "Select Copy, or select the password and copy it.";
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-from]") : null;
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    var status = statusFor(button);
    if (!field) {
      return;
    }
    navigator.clipboard.writeText(field.value).then(
      function () {
        markCopied(field);
        if (status) {
          status.textContent = "Copied. Paste it where the user will get it.";
        }
      },
      function () {
        field.focus();
        field.select();
        if (status) {
          status.textContent = "The browser did not allow copying: the password is selected, press Ctrl+C.";
        }
      }
    );
  });
  document.addEventListener("copy", function (event) {
    // Copied by hand (select, Ctrl+C) from the password field.
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      markCopied(event.target);
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    setUp(event.detail.elt);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      setUp(document);
    });
  } else {
    setUp(document);
  }
})();
