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
})();
