// A program's page while the judge works: asks the server until the verdict is in, then shows
// the page again with it (no timed refresh while waiting; without JavaScript the page's
// <noscript> refresh does this).
(function () {
  "use strict";
  var waiting = document.querySelector("#judging[data-poll]");
  if (!waiting || !window.fetch) { return; }
  var url = waiting.getAttribute("data-poll");
  function ask(delay) {
    window.setTimeout(function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (answer) {
          if (answer.done) { window.location.reload(); } else { ask(answer.retry_ms || 1000); }
        })
        .catch(function () { ask(5000); });
    }, delay);
  }
  ask(1000);
})();
