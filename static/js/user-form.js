// Add user: the display name follows first + last name until someone edits it, and so does the
// username ("Zoë Ng" → zoe.ng, letters without accents, as the alias allows); the typed password
// field shows only when "Let me type a password" is chosen. Delegated from the document,
// so it also works in the modal's content that htmx swaps in. Without script the server fills an
// empty display name from first + last, and the password field is simply always shown.
(function () {
  "use strict";

  function formOf(element) {
    return element && element.closest ? element.closest("form[data-display-name-form]") : null;
  }

  function fillDisplayName(form) {
    var display = form.querySelector("[name=display_name]");
    if (!display || display.dataset.edited === "true") {
      return;
    }
    var first = form.querySelector("[name=first_name]");
    var last = form.querySelector("[name=last_name]");
    var name = [first ? first.value.trim() : "", last ? last.value.trim() : ""].join(" ").trim();
    display.value = name.slice(0, 50);
  }

  function aliasPart(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "");
  }

  function fillAlias(form) {
    var alias = form.querySelector("[name=alias]");
    if (!alias || alias.dataset.edited === "true") {
      return;
    }
    var first = form.querySelector("[name=first_name]");
    var last = form.querySelector("[name=last_name]");
    var parts = [first ? aliasPart(first.value) : "", last ? aliasPart(last.value) : ""];
    var suggested = parts.filter(Boolean).join(".").slice(0, 64);
    if (alias.value !== suggested) {
      alias.value = suggested;
      // Let the username check (htmx, on the field's group) look at the suggestion.
      alias.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function showPassword(form) {
    var group = form.querySelector("[data-typed-password]");
    var typed = form.querySelector("[name=password_choice][value=typed]");
    if (group && typed) {
      group.hidden = !typed.checked;
    }
  }

  function setUp(root) {
    var forms = (root || document).querySelectorAll("form[data-display-name-form]");
    Array.prototype.forEach.call(forms, function (form) {
      var display = form.querySelector("[name=display_name]");
      var first = form.querySelector("[name=first_name]");
      var last = form.querySelector("[name=last_name]");
      // A display name that differs from first + last (e.g. re-shown after an error) was edited.
      if (display && display.value) {
        var joined = [first ? first.value.trim() : "", last ? last.value.trim() : ""].join(" ").trim();
        display.dataset.edited = display.value === joined ? "false" : "true";
      }
      var alias = form.querySelector("[name=alias]");
      if (alias) {
        alias.dataset.edited = alias.value ? "true" : "false";
      }
      showPassword(form);
    });
  }

  document.addEventListener("input", function (event) {
    var form = formOf(event.target);
    if (!form) {
      return;
    }
    var name = event.target.name;
    if (name === "display_name" || (name === "alias" && event.isTrusted)) {
      event.target.dataset.edited = event.target.value === "" ? "false" : "true";
    } else if (name === "first_name" || name === "last_name") {
      fillDisplayName(form);
      fillAlias(form);
    }
  });
  document.addEventListener("change", function (event) {
    var form = formOf(event.target);
    if (form && event.target.name === "password_choice") {
      showPassword(form);
    }
  });
  window.portalOnLoad(setUp);
})();
