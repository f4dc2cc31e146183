// Header menus ("More", and "Menu" on phones) are <details>: they open and close without
// JavaScript. This only adds what people expect of a menu: Escape closes it and gives focus
// back to its button, and a click or focus elsewhere closes it.
(function () {
  "use strict";
  function openMenus() {
    return document.querySelectorAll(".site-nav details[open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      var hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      if (hadFocus) menu.querySelector("summary").focus();
    });
  });
  function closeOutside(event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  }
  document.addEventListener("click", closeOutside);
  document.addEventListener("focusin", closeOutside);
})();
