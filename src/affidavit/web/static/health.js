// Draw each chart from its JSON block with plotly.js (served by this console: no CDN).
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var charts = document.querySelectorAll("[data-figure]");
  Array.prototype.forEach.call(charts, function (el) {
    var block = document.getElementById(el.getAttribute("data-figure"));
    if (!block) { return; }
    var fig = JSON.parse(block.textContent);
    window.Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true, displayModeBar: false })
      .then(function () { el.setAttribute("data-drawn", "true"); });
  });
})();
