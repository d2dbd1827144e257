// htmx does not swap error responses (4xx/5xx) or report failed connections, so without this a
// click would seem to do nothing. Say so in the page's alert region; the next request clears it.
(function () {
  "use strict";

  var MESSAGES = {
    403: "You don't have access to this. Reload the page to see what your role allows.",
    404: "That no longer exists. Reload the page.",
  };

  function region() {
    return document.getElementById("request-error");
  }

  function show(text) {
    var element = region();
    if (element) {
      element.textContent = text;
      element.hidden = false;
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    show(MESSAGES[status] || "The portal could not complete that request (error " + status + "). Try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    show("The portal could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var element = region();
    if (element) {
      element.hidden = true;
    }
  });
})();
