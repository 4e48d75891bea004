// Typesets the maths placeholders of rendered texts (courses/rendering/markdown.py:
// <span class="math" data-display="0">TeX</span>, a div for displayed maths) with the vendored
// KaTeX, which is loaded only on pages that have any. Where KaTeX cannot run, the TeX stays.
(function () {
  "use strict";
  var placeholders = document.querySelectorAll(".math[data-display]");
  var script = document.currentScript;
  if (!placeholders.length || !script) { return; }
  var stylesheet = document.createElement("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = script.dataset.katexCss;
  document.head.appendChild(stylesheet);
  var katexScript = document.createElement("script");
  katexScript.src = script.dataset.katexJs;
  katexScript.onload = function () {
    placeholders.forEach(function (element) {
      window.katex.render(element.textContent, element, {
        displayMode: element.dataset.display === "1",
        throwOnError: false,
        maxSize: 20,
        maxExpand: 500,
        trust: false
      });
    });
  };
  document.head.appendChild(katexScript);
})();
