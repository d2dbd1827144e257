// Upload users: after an htmx Validate swaps in what was found, move focus to its heading, so a
// keyboard or screen reader user lands on the results instead of at the top of a replaced form.
// (Without JavaScript the form's action ends in #bulk-results, which does the same.)
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    // An outerHTML swap fires this on the new element, which keeps the old one's id.
    if (!event.target || event.target.id !== "bulk-upload") {
      return;
    }
    var heading = document.getElementById("bulk-results-heading");
    if (heading) {
      heading.focus();
    } else {
      var invalid = document.querySelector("#bulk-upload [aria-invalid='true']");
      if (invalid) {
        invalid.focus();
      }
    }
  });

  // The seed's Browse: a button that opens the file dialog and shows the chosen file's name.
  // The native input stays in the page (focusable, labelled "CSV file"), only out of sight, so
  // the keyboard and assistive technology use it as before; without JavaScript it shows as is.
  function setUp(root) {
    var pickers = (root || document).querySelectorAll("[data-file-picker]");
    Array.prototype.forEach.call(pickers, function (picker) {
      picker.classList.add("file-picker-enhanced");
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    var picker = input.closest ? input.closest("[data-file-picker]") : null;
    if (!picker) {
      return;
    }
    var name = picker.querySelector("[data-file-name]");
    if (name) {
      name.textContent = input.files && input.files.length ? input.files[0].name : "No file chosen";
    }
  });
  window.portalOnLoad(setUp);
})();
