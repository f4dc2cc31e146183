// The template editor: warn before leaving with changes that are not saved yet.
// (Adding, removing and moving items are form submissions and work without this script.)
(function () {
  "use strict";
  var form = document.querySelector("form.template-editor");
  if (!form) { return; }
  var dirty = document.querySelector(".banner.notice") !== null;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}());
