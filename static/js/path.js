// The feedback page's path while the worker plans it after the answer: asks the server for it
// until it is ready, then puts it in place. Without JavaScript the link shows it.
(function () {
  "use strict";
  var pending = document.querySelector("#learning-path[data-poll]");
  if (!pending || !window.fetch) { return; }
  var url = pending.getAttribute("data-poll");
  var tries = 0;
  function ask() {
    tries += 1;
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.ready) {
          pending.outerHTML = answer.html;
        } else if (tries < 40) {
          window.setTimeout(ask, answer.retry_ms || 300);
        }
      })
      .catch(function () { /* the link stays */ });
  }
  window.setTimeout(ask, 300);
})();
