// Granting a privileged directory role asks first, naming the roles and the user. The server asks
// too (a confirmation step) when the form arrives without `confirm_privileged`; this only makes it
// a dialog. Listens in the capture phase, so a "no" stops htmx's submit as well as the browser's.
(function () {
  "use strict";

  function labelOf(box) {
    var label = box.id ? document.querySelector("label[for='" + box.id + "']") : null;
    return label ? label.textContent.trim() : box.value;
  }

  function userOf(form) {
    if (form.dataset.userName) {
      return form.dataset.userName;
    }
    var display = form.querySelector("[name=display_name]");
    var alias = form.querySelector("[name=alias]");
    var domain = form.querySelector("[name=domain]");
    var name = display && display.value.trim() ? display.value.trim() : "the new user";
    if (alias && alias.value.trim() && domain) {
      name += " (" + alias.value.trim() + "@" + domain.value + ")";
    }
    return name;
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-privileged-form]")) {
        return;
      }
      if (event.submitter && event.submitter.name === "confirm_privileged") {
        return; // the server's own confirmation step was answered
      }
      var boxes = form.querySelectorAll("input[name=roles][data-privileged]");
      var names = [];
      var ids = [];
      Array.prototype.forEach.call(boxes, function (box) {
        if (box.checked && box.dataset.held !== "true") {
          names.push(labelOf(box));
          ids.push(box.value);
        }
      });
      var hidden = form.querySelector("input[type=hidden][name=confirm_privileged]");
      if (!ids.length) {
        if (hidden) {
          hidden.remove();
        }
        return;
      }
      var question =
        "Give " + userOf(form) + " the privileged role" + (names.length > 1 ? "s " : " ") +
        names.join(", ") + "?\n\nMicrosoft marks " + (names.length > 1 ? "them" : "it") +
        " privileged: control over the customer's users, roles or security.";
      if (!window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (!hidden) {
        hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "confirm_privileged";
        form.appendChild(hidden);
      }
      hidden.value = ids.sort().join(",");
    },
    true
  );
})();
