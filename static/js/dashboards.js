// Draws each dashboard chart from the JSON the page embeds (Django's json_script), with the
// plotly.js served from the app's own static files. A chart with data-links opens the URL of the
// row that was clicked (the heatmap: a learner's dashboard).
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
      var url = point && urls[point.y];
      if (url) { window.location.assign(url); }
    });
  }

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = readJson(element.dataset.figure);
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.classList.add("plotted");
      if (element.dataset.links) { linkRows(element, readJson(element.dataset.links)); }
    });
  });
})();
