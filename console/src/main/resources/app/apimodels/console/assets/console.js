// The console's only script of its own (no inline script: the Content-Security-Policy forbids it).
// Pages are plain HTML forms and links; this adds the spend chart and the copy buttons.

// The dashboard's spend chart: uPlot, fed by the JSON in the chart element's data-chart attribute
// (the same figures are in the table below it). Credits per day, one line per model.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("spend-chart");
  if (!el || typeof uPlot === "undefined") {
    return;
  }
  var chart = JSON.parse(el.dataset.chart);
  var colours = ["#0b5cad", "#b42318", "#1a7f37", "#8250df", "#bf8700", "#57606a"];
  var xs = chart.days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
  var data = [xs];
  var series = [{}];
  chart.series.forEach(function (s, i) {
    data.push(s.micros.map(function (m) { return m / 1e6; }));
    series.push({ label: s.model, stroke: colours[i % colours.length], width: 2, points: { show: true } });
  });
  if (chart.series.length === 0) {
    data.push(xs.map(function () { return 0; }));
    series.push({ label: el.dataset.unit, stroke: colours[0], width: 1 });
  }
  var width = function () { return Math.max(280, el.clientWidth); };
  // Days are UTC days; amounts are shown to the micro, not rounded to whole credits.
  var options = {
    width: width(), height: 260, series: series,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
    axes: [{}, { label: el.dataset.unit, size: 70, values: function (u, splits) {
      return splits.map(function (v) { return String(+v.toFixed(6)); });
    } }]
  };
  var plot = new uPlot(options, data, el);
  window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 260 }); });
});

// Copy buttons: <button data-copy="element-id"> copies that element's text (the new key, a snippet).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  var source = document.getElementById(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.dataset.copied = "true";
      var done = button.dataset.done;
      if (done) {
        button.textContent = done;
      }
    });
  }
});
