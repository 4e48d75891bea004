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
      var tex = element.textContent;
      window.katex.render(tex, element, {
        displayMode: element.dataset.display === "1",
        throwOnError: false,
        maxSize: 20,
        maxExpand: 500,
        trust: false
      });
      // Chromium names a control from its label's text, and KaTeX's MathML gives it none: an
      // answer option that is only maths would be unnamed, so its MathML is named by its TeX.
      var mathml = element.closest("label") && element.querySelector("math");
      if (mathml) { mathml.setAttribute("aria-label", tex); }
    });
  };
  document.head.appendChild(katexScript);
})();
