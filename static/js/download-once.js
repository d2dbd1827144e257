// A download that can be made once (a bulk upload's temporary passwords): the file is fetched,
// saved, and the page is then shown again, so it says "Downloaded by you at …" instead of
// offering a button that can no longer work. Without JavaScript the form posts as usual.
(function () {
  "use strict";

  function fileName(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : "download.csv";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-download-once]")) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("text/csv") !== 0) {
          // Refused (already downloaded, expired...): the page says why.
          window.location.assign(response.url);
          return null;
        }
        return response.blob().then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = fileName(response);
          document.body.appendChild(link);
          link.click();
          link.remove();
          window.setTimeout(function () {
            URL.revokeObjectURL(link.href);
            window.location.reload();
          }, 500);
        });
      })
      .catch(function () {
        form.submit();
      });
  });
})();
