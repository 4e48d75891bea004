// The admin's code exercise fields: the starter code and the reference solution are edited in
// the same Python editor learners use (the textareas stay underneath and are what the form
// posts; without JavaScript they are plain textareas). Escape, then Tab, leaves an editor.
window.addEventListener("load", function () {
  "use strict";
  if (!window.LearnpathEditor) { return; }
  document.querySelectorAll("textarea.program-source").forEach(function (textarea) {
    var label = document.querySelector("label[for='" + textarea.id + "']");
    var editor = window.LearnpathEditor.fromTextarea(
      textarea, label ? label.textContent.replace(/:$/, "") : "Program");
    editor.dom.style.border = "1px solid var(--border-color, #ccc)";
    editor.dom.style.minHeight = "10em";
    editor.dom.style.maxWidth = "60em";
    editor.dom.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { editor.setTabFocusMode(2000); }
    }, true);
  });
});
