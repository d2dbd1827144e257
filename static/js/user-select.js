// Users and licenses: act on several users. The count says how many are checked ("12 selected")
// and the actions wait for one; "select every user on this page" checks the page's rows; "All N
// users of this list" stands for every user of the search and filters (the server reads them),
// and says so when N is more than one action covers. Without script the check boxes and the
// actions work as a plain form, and the server answers an empty or too large selection with a
// message; "select every user on this page" stays hidden, since it would do nothing.
(function () {
  "use strict";

  function form() {
    return document.querySelector("form[data-selection]");
  }

  function rows() {
    return document.querySelectorAll("input[type=checkbox][name=users][form=users-selection]");
  }

  function update() {
    var selection = form();
    if (!selection) {
      return;
    }
    var boxes = rows();
    var checked = Array.prototype.filter.call(boxes, function (box) {
      return box.checked;
    }).length;
    var every = selection.querySelector("[data-select-every]");
    var total = parseInt(selection.getAttribute("data-total"), 10) || 0;
    var limit = parseInt(selection.getAttribute("data-limit"), 10) || 0;
    var text;
    var ready;
    if (every && every.checked) {
      text = "All " + total.toLocaleString() + " selected";
      ready = total <= limit;
      if (!ready) {
        text += ": one action covers at most " + limit + ". Narrow the search or filters.";
      }
    } else {
      text = checked ? checked + " selected" : "Check users to act on several at once.";
      ready = checked > 0;
    }
    selection.querySelector("[data-selection-count]").textContent = text;
    Array.prototype.forEach.call(selection.querySelectorAll("[data-selection-action]"), function (button) {
      button.disabled = !ready;
    });
    var page = document.querySelector("[data-select-page]");
    if (page) {
      page.hidden = boxes.length === 0;
      page.checked = boxes.length > 0 && checked === boxes.length;
      page.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) {
      return;
    }
    if (target.matches("[data-select-page], [data-select-every]")) {
      Array.prototype.forEach.call(rows(), function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("input[name=users][form=users-selection]") && !target.checked) {
      var every = document.querySelector("[data-select-every]");
      if (every) {
        every.checked = false; // one user left out: no longer the whole list
      }
    }
    if (target.matches("[data-select-page], [data-select-every], input[name=users][form=users-selection]")) {
      update();
    }
  });
  window.portalOnLoad(update);
})();
