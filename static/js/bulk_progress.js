// A bulk job's page (participant import): the progress bar follows the job through the
// API every second; when the worker has finished a step, the page is loaded again to show
// its report. Without JavaScript the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var section = document.querySelector("[data-job-url]");
  if (!section) return;
  var bar = section.querySelector("progress");
  var processed = section.querySelector("[data-job-processed]");
  var total = section.querySelector("[data-job-total]");
  var waiting = ["queued", "checking", "running"];
  // Counts written as the page's language writes them ("20 000" in French, "20,000" in
  // English), like the figures the server rendered.
  var counts = new Intl.NumberFormat(document.documentElement.lang || undefined,
                                     { maximumFractionDigits: 0 });

  function show(job) {
    bar.max = job.total || 1;
    bar.value = job.processed;
    bar.textContent = job.percent + "\u00a0%";
    // Before the worker has counted the rows there is nothing to say but the status.
    processed.parentNode.hidden = !job.total;
    processed.textContent = counts.format(job.processed);
    total.textContent = counts.format(job.total);
  }

  function poll() {
    fetch(section.dataset.jobUrl, { credentials: "same-origin",
                                    headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 3000); return; }
        show(job);
        if (waiting.indexOf(job.status) === -1) {
          window.location.reload();
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
