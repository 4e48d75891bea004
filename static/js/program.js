// A code exercise's page: the editor over the program's textarea, and "Run examples" and
// "Submit" sent in the background, the verdict shown here when the judge has it (the server
// is asked until then). An accepted submission goes on to its feedback page; any other verdict
// stays here with the program, to be fixed. Without JavaScript the form posts as it is. The
// words it shows come translated from the form's data attributes (judging/_program_form.html).
(function () {
  "use strict";
  var form = document.getElementById("program-form");
  if (!form) { return; }
  var words = form.dataset;
  var textarea = document.getElementById("id_source");
  if (window.LearnpathEditor && textarea) {
    var editor = window.LearnpathEditor.fromTextarea(textarea, words.editorLabel);
    // Escape, then Tab, leaves the editor (Tab alone indents), even when that Escape closes a
    // completion list: CodeMirror arms its Tab-leaves mode only for an Escape nothing else used.
    editor.dom.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { editor.setTabFocusMode(2000); }
    }, true);
  }
  if (!window.fetch || !window.FormData) { return; }
  var result = document.getElementById("program-result");
  var buttons = form.querySelectorAll("button[type=submit]");
  var clientId = form.querySelector("input[name=client_id]");

  function busy(on) {
    for (var i = 0; i < buttons.length; i += 1) { buttons[i].disabled = on; }
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (Math.random() * 16) >> (c / 4)).toString(16);
    });
  }
  function show(html) { result.innerHTML = html; }
  function said(text) {
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = text;
    result.replaceChildren(p);
  }
  function follow(answer, tries) {
    if (answer.done) {
      if (answer.purpose === "submit" && answer.accepted && answer.feedback_url) {
        window.location.assign(answer.feedback_url);
        return;
      }
      show(answer.html);
      if (answer.purpose === "submit") { clientId.value = newId(); }
      busy(false);
      return;
    }
    if (tries > 150) {
      said(words.slow);
      busy(false);
      return;
    }
    window.setTimeout(function () {
      fetch(answer.poll, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (next) { follow(next, tries + 1); })
        .catch(function () { follow(answer, tries + 1); });
    }, answer.retry_ms || 400);
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var purpose = event.submitter ? event.submitter.value : "submit";
    var data = new FormData(form);
    data.set("purpose", purpose);
    if (purpose === "examples") { data.set("client_id", newId()); }
    busy(true);
    result.replaceChildren();
    var waiting = document.createElement("p");
    waiting.textContent = purpose === "examples" ? words.running : words.judging;
    result.appendChild(waiting);
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) { throw new Error(answer.error || words.failed); }
          return answer;
        });
      })
      .then(function (answer) { follow(answer, 0); })
      .catch(function (error) {
        said(error instanceof SyntaxError || error instanceof TypeError ? words.failed : error.message);
        busy(false);
      });
  });
})();
