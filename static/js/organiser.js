/* Organiser pages: small conveniences over pages that work without JavaScript. */
(function () {
  "use strict";

  function slugify(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "")
      .slice(0, 40).replace(/-+$/, "");
  }

  // Sign-up: the address is derived from the organisation's name until typed by hand.
  document.querySelectorAll("[data-derive-slug]").forEach(function (name) {
    var slug = document.getElementById(name.dataset.deriveSlug);
    var host = document.getElementById("slug-host");
    if (!slug) return;
    var typed = slug.value !== "" && slug.value !== slugify(name.value);
    function showHost() {
      if (host) host.textContent = (slug.value || host.dataset.placeholder || "") +
        (host.dataset.domain || "");
    }
    if (host) host.dataset.placeholder = host.textContent.replace(host.dataset.domain, "");
    slug.addEventListener("input", function (event) {
      if (event.isTrusted) typed = slug.value !== "";
      showHost();
    });
    name.addEventListener("input", function () {
      if (typed) return;
      slug.value = slugify(name.value);
      showHost();
      // The server's availability check (HTMX) listens to this event.
      slug.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // Copy buttons: hidden without JavaScript, where they could not work.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.querySelector(".copy-status");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      function done() { if (status) status.textContent = button.dataset.copied || ""; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, function () {
          source.select(); document.execCommand("copy"); done();
        });
      } else {
        source.select(); document.execCommand("copy"); done();
      }
    });
  });

  // The phone's own share sheet, where the browser has one.
  document.querySelectorAll("[data-share-url]").forEach(function (button) {
    if (!navigator.share) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: button.dataset.shareTitle, text: button.dataset.shareText,
                        url: button.dataset.shareUrl }).catch(function () {});
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // A template's dates: moving the start moves the action day and the end with it.
  document.querySelectorAll("[data-shift-dates]").forEach(function (form) {
    var start = document.getElementById(form.dataset.shiftDates);
    var others = form.dataset.shifted.split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    if (!start) return;
    var previous = start.value;
    start.addEventListener("change", function () {
      var before = Date.parse(previous), after = Date.parse(start.value);
      if (!isNaN(before) && !isNaN(after)) {
        others.forEach(function (input) {
          var value = Date.parse(input.value);
          if (!isNaN(value)) {
            input.value = new Date(value + after - before).toISOString().slice(0, 10);
          }
        });
      }
      previous = start.value;
    });
  });

  // Campaign form: warn as soon as the target exceeds the places offered.
  document.querySelectorAll("[data-places-check]").forEach(function (form) {
    var warning = document.getElementById("places-warning");
    var target = form.querySelector("[name=participant_target]");
    var capacity = form.querySelector("[name=capacity]");
    if (!warning || !target) return;
    function check() {
      var places = capacity ? parseInt(capacity.value, 10) : parseInt(warning.dataset.places, 10);
      var wanted = parseInt(target.value, 10);
      var over = !isNaN(places) && !isNaN(wanted) && wanted > places;
      if (over && warning.hidden) warning.textContent = warning.dataset.message;
      warning.hidden = !over;
    }
    target.addEventListener("input", check);
    if (capacity) capacity.addEventListener("input", check);
  });
})();
