// Marks the hint as used when opened, and stops a double click from sending twice.
(function () {
  "use strict";
  var hint = document.getElementById("hint");
  var hintUsed = document.getElementById("hint_used");
  if (hint && hintUsed) {
    hint.addEventListener("toggle", function () {
      if (hint.open) { hintUsed.value = "1"; }
    });
  }
  var form = document.getElementById("answer-form");
  if (form) {
    form.addEventListener("submit", function () {
      var button = document.getElementById("submit-answer");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  }
})();
