// The one modal (#modal in base.html). htmx swaps a form fragment into #modal-content; this shows
// it. The server closes it with an `HX-Trigger: closeModal` header (STYLE.md, modal protocol), and
// a closed modal is emptied so a stale form is never shown again.
(function () {
  "use strict";

  function setUp() {
    var element = document.getElementById("modal");
    var content = document.getElementById("modal-content");
    if (!element || !content || !window.bootstrap) {
      return;
    }
    var modal = window.bootstrap.Modal.getOrCreateInstance(element);

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === content) {
        var title = content.querySelector(".modal-title[id]");
        if (title) {
          element.setAttribute("aria-labelledby", title.id);
        }
        modal.show();
      }
    });
    document.body.addEventListener("closeModal", function () {
      modal.hide();
    });
    element.addEventListener("hidden.bs.modal", function () {
      content.replaceChildren();
      element.removeAttribute("aria-labelledby");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
