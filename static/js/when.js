// "When": the date, time and time zone of a scheduled change show only once "At a date and
// time" is chosen (templates/users/when_fields.html). Without this script they always show.
(function () {
  "use strict";

  function update(fieldset) {
    var at = fieldset.querySelector("input[name='when'][value='at']");
    var fields = fieldset.querySelector("[data-when-at]");
    if (at && fields) {
      fields.hidden = !at.checked;
    }
  }

  window.portalOnLoad(function (root) {
    var sets = root.querySelectorAll ? root.querySelectorAll("[data-when]") : [];
    Array.prototype.forEach.call(sets, function (fieldset) {
      update(fieldset);
      fieldset.addEventListener("change", function () {
        update(fieldset);
      });
    });
  });
})();
