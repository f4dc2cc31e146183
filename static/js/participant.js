// Participant pages: share or copy a personal link, and warn before joining when a group
// is larger than the places left. Everything here only adds to pages that work without it:
// the link stays readable and selectable, and the form posts the same way.
(function () {
  "use strict";

  function copyText(text, field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Older browsers and plain-http hosts: copy the selected field.
    return new Promise(function (resolve, reject) {
      field.focus();
      field.select();
      try {
        if (document.execCommand("copy")) { resolve(); } else { reject(); }
      } catch (error) {
        reject(error);
      }
    });
  }

  function setUpShare(box) {
    var field = box.querySelector("[data-share-url]");
    var status = box.querySelector("[data-share-status]");
    var shareButton = box.querySelector("[data-share-button]");
    var copyButton = box.querySelector("[data-copy-button]");
    var url = field.value.trim();
    if (shareButton && typeof navigator.share === "function") {
      shareButton.hidden = false;
      shareButton.addEventListener("click", function () {
        // A dismissed share sheet rejects: nothing to tell the person.
        navigator.share({ title: box.dataset.shareTitle || document.title, url: url })
          .catch(function () {});
      });
    }
    if (copyButton) {
      copyButton.hidden = false;
      copyButton.addEventListener("click", function () {
        copyText(url, field).then(function () {
          status.textContent = box.dataset.copied;
        }, function () {
          field.focus();
          field.select();
          status.textContent = box.dataset.copyFailed;
        });
      });
    }
    field.addEventListener("focus", function () { field.select(); });
  }

  function setUpPartyWarning(form) {
    var warning = form.querySelector("[data-party-warning]");
    var companions = form.querySelector("input[name=companions]");
    if (!warning) { return; }
    function update() {
      var party = 1 + (parseInt(companions && companions.value, 10) || 0);
      var tooLarge = Array.prototype.some.call(
        form.querySelectorAll("input[name=slots]:checked"), function (slot) {
          return party > parseInt(slot.dataset.seatsLeft, 10);
        });
      warning.hidden = !tooLarge;
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("[data-share]").forEach(setUpShare);
  document.querySelectorAll("[data-party-form]").forEach(setUpPartyWarning);
})();
