// Copy buttons for ids (the audit log's MS-RequestId and MS-CorrelationId): shown only where the
// Clipboard API exists (secure contexts); elsewhere the id itself selects whole on a click
// (CSS user-select: all), ready for Ctrl+C.
(function () {
  "use strict";

  function setUp(root) {
    var canCopy = !!(navigator.clipboard && window.isSecureContext);
    var buttons = (root || document).querySelectorAll("[data-copy-text]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = !canCopy;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-text]") : null;
    if (!button) {
      return;
    }
    navigator.clipboard.writeText(button.getAttribute("data-copy-text")).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () {
        button.textContent = label;
      }, 1500);
    });
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
