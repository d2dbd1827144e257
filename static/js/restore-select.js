// Deleted users: Restore is disabled until a check box is checked, and "select all" checks every
// row. Without script Restore is always enabled and the server answers an empty selection with a
// message; "select all" stays hidden, since it would do nothing.
(function () {
  "use strict";

  function boxes() {
    return document.querySelectorAll("input[type=checkbox][name=users][form=restore-form]");
  }

  function update() {
    var all = boxes();
    var checked = 0;
    Array.prototype.forEach.call(all, function (box) {
      if (box.checked) {
        checked += 1;
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-restore-button]"), function (button) {
      button.disabled = checked === 0;
      button.title = checked === 0 ? "Check the users to restore first" : "";
    });
    var selectAll = document.querySelector("[data-select-all]");
    if (selectAll) {
      selectAll.hidden = all.length === 0;
      selectAll.checked = all.length > 0 && checked === all.length;
      selectAll.indeterminate = checked > 0 && checked < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-all]")) {
      Array.prototype.forEach.call(boxes(), function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches && target.matches("[data-select-all], input[name=users][form=restore-form]")) {
      update();
    }
  });
  window.portalOnLoad(update);
})();
