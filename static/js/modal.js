// The one modal (#modal in base.html). htmx swaps a form fragment into #modal-content; this shows
// it. The server closes it with an `HX-Trigger: closeModal` header (STYLE.md, modal protocol), and
// a closed modal is emptied so a stale form is never shown again.
//
// A modal showing a temporary password is different: the password is shown once. Focus goes to
// it when it appears (keyboard and screen-reader users are taken there); closing it before it was
// copied asks first; and closing it refreshes the list behind, which now holds the new user.
(function () {
  "use strict";

  var UNCOPIED = "The password will not be shown again. Close anyway?";

  function setUp() {
    var element = document.getElementById("modal");
    var content = document.getElementById("modal-content");
    if (!element || !content || !window.bootstrap) {
      return;
    }
    var modal = window.bootstrap.Modal.getOrCreateInstance(element);
    var refreshOnClose = false;

    function passwordBox() {
      return content.querySelector(".password-once");
    }

    function focusPassword() {
      var field = content.querySelector("#temporary-password");
      if (field) {
        field.focus();
      }
    }

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== content) {
        return;
      }
      var title = content.querySelector(".modal-title[id]");
      if (title) {
        element.setAttribute("aria-labelledby", title.id);
      }
      if (content.querySelector("[data-refresh-on-close]")) {
        refreshOnClose = true;
      }
      if (element.classList.contains("show")) {
        focusPassword(); // already open: no shown event follows
      }
      modal.show();
    });
    element.addEventListener("shown.bs.modal", focusPassword);
    element.addEventListener("hide.bs.modal", function (event) {
      var box = passwordBox();
      if (box && box.dataset.copied !== "true" && !window.confirm(UNCOPIED)) {
        event.preventDefault();
        focusPassword();
      }
    });
    document.body.addEventListener("closeModal", function () {
      modal.hide();
    });
    element.addEventListener("hidden.bs.modal", function () {
      content.replaceChildren();
      element.removeAttribute("aria-labelledby");
      if (refreshOnClose) {
        refreshOnClose = false;
        var results = document.getElementById("users-results");
        if (results && window.htmx) {
          window.htmx.ajax("GET", window.location.href, { target: results, swap: "outerHTML" });
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
