// One way for the portal's scripts to set up what they enhance: once the page is read, and again
// inside whatever htmx swaps in. `setUp(root)` is called with the document, then with each
// swapped element. Loaded before the other scripts (base.html).
(function () {
  "use strict";

  window.portalOnLoad = function (setUp) {
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
  };
})();
