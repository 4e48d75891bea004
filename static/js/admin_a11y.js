// Django's two-box select (filter_horizontal) puts an aria-label on a plain span beside its
// search box, which screen readers ignore: the span becomes an image of that name. Runs after
// the widget is built (on load, as Django builds it).
window.addEventListener("load", function () {
  "use strict";
  document.querySelectorAll(".selector .help-tooltip[aria-label]:not([role])")
    .forEach(function (icon) { icon.setAttribute("role", "img"); });
});
