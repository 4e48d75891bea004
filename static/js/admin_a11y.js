// Names that Django's admin widgets leave out, for screen readers. Runs once the widgets are
// built (on load, as Django builds them).
window.addEventListener("load", function () {
  "use strict";
  // The two-box select (filter_horizontal) puts an aria-label on a plain span beside its
  // search box, which screen readers ignore: the span becomes an image of that name.
  document.querySelectorAll(".selector .help-tooltip[aria-label]:not([role])")
    .forEach(function (icon) { icon.setAttribute("role", "img"); });
  // A date and time field's two inputs follow the words "Date:" and "Time:" (in the admin's
  // language), which are plain text, not labels: each input is named by its words.
  document.querySelectorAll("p.datetime input:not([aria-label])").forEach(function (input) {
    var words = input.previousSibling;
    while (words && words.nodeType !== Node.TEXT_NODE) { words = words.previousSibling; }
    var name = words ? words.textContent.trim().replace(/:$/, "") : "";
    if (name) { input.setAttribute("aria-label", name); }
  });
});
