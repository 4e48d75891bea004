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

  // On a narrow screen (a phone) a chart's title is broken into lines that fit and its legend
  // goes under the plot, so neither runs off the chart's edge.
  var NARROW_PX = 520;
  function wrapped(text, chars) {
    var lines = [""];
    String(text).split(" ").forEach(function (word) {
      var last = lines.length - 1;
      if (lines[last] && (lines[last] + " " + word).length > chars) { lines.push(word); }
      else { lines[last] = lines[last] ? lines[last] + " " + word : word; }
    });
    return lines;
  }
  function fitted(element, layout) {
    var width = element.clientWidth;
    if (!width || width >= NARROW_PX) { return layout; }
    var narrow = Object.assign({}, layout);
    var title = layout.title && layout.title.text;
    if (title) {
      var lines = wrapped(title, Math.max(16, Math.floor(width / 8)));
      narrow.title = Object.assign({}, layout.title, {
        text: lines.join("<br>"), font: Object.assign({}, layout.title.font, { size: 14 })
      });
      narrow.margin = Object.assign({}, layout.margin, {
        t: Math.max((layout.margin && layout.margin.t) || 0, 26 + 18 * lines.length)
      });
    }
    if (layout.legend) {
      narrow.legend = Object.assign({}, layout.legend, {
        orientation: "h", x: 0, xanchor: "left", y: -0.22, yanchor: "top"
      });
      if (layout.legend.title) {
        narrow.legend.title = Object.assign({}, layout.legend.title, { side: "top" });
      }
    }
    return narrow;
  }

  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = readJson(element.dataset.figure);
    Plotly.newPlot(element, figure.data, fitted(element, figure.layout), config).then(function () {
      element.classList.add("plotted");
      followWidth(element);
      if (element.dataset.links) { linkRows(element, readJson(element.dataset.links)); }
    });
  });
})();
