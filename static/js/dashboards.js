// Draws each dashboard chart from the JSON the page embeds (Django's json_script), with the
// plotly.js served from the app's own static files. A chart with data-links (a JSON list of
// URLs, one per row) opens the URL of the clicked row: the heatmap opens a learner's dashboard.
(function () {
  "use strict";
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"]
  };

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function linkRows(element, urls) {
    element.classList.add("clickable");
    element.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (!point) { return; }
      // A heatmap point's pointNumber is [row, column]; other traces give the row itself.
      var row = Array.isArray(point.pointNumber) ? point.pointNumber[0] : point.pointNumber;
      if (urls[row]) { window.location.assign(urls[row]); }
    });
  }

  // Plotly's responsive mode follows the window only; the admin's sidebar opens after the
  // charts are drawn (and can be toggled), so each chart also follows its own width.
  function followWidth(element) {
    if (!window.ResizeObserver) { return; }
    var width = element.clientWidth;
    new ResizeObserver(function () {
      if (element.clientWidth === width || !element.offsetParent) { return; }
      width = element.clientWidth;
      Plotly.Plots.resize(element);
    }).observe(element);
  }

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = readJson(element.dataset.figure);
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.classList.add("plotted");
      followWidth(element);
      if (element.dataset.links) { linkRows(element, readJson(element.dataset.links)); }
    });
  });
})();
