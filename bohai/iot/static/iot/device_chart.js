// A device's history: one metric at a time, over 24 h, 7 or 30 days, from the series API (downsampled on the server).
(function () {
  var element = document.getElementById("device-chart");
  if (!element || !window.echarts) return;
  var chart = echarts.init(element, null, { renderer: "canvas" });
  var state = { metric: null, unit: "", name: "", hours: 24 };
  var resolutionNames = { raw: "原始读数", minute: "分钟汇总", hour: "小时汇总", day: "日汇总" };

  function load() {
    if (!state.metric) return;
    var end = new Date();
    var start = new Date(end.getTime() - state.hours * 3600 * 1000);
    var query = "?start=" + encodeURIComponent(start.toISOString()) + "&end=" + encodeURIComponent(end.toISOString()) + "&budget=1500";
    document.querySelector("[data-export]").href = element.dataset.exportUrl + query + "&format=csv&resolution=" + (state.hours > 48 ? "hour" : "raw");
    fetch(element.dataset.seriesUrl + state.metric + query, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var points = data.points || [];
        document.querySelector("[data-resolution]").textContent =
          (resolutionNames[data.resolution] || "") + " · " + points.length + " 点";
        chart.setOption({
          grid: { left: 56, right: 24, top: 32, bottom: 56 },
          tooltip: { trigger: "axis" },
          legend: { data: ["平均", "最小", "最大"], top: 0 },
          dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
          xAxis: { type: "time", axisLabel: { hideOverlap: true, formatter: { year: "{yyyy}", month: "{M}月", day: "{MM}-{dd}", hour: "{HH}:{mm}", minute: "{HH}:{mm}" } } },
          yAxis: { type: "value", name: state.unit, scale: true },
          series: [
            { name: "平均", type: "line", showSymbol: false, data: points.map(function (p) { return [p[0], p[1]]; }) },
            { name: "最小", type: "line", showSymbol: false, lineStyle: { opacity: 0.35 }, data: points.map(function (p) { return [p[0], p[2]]; }) },
            { name: "最大", type: "line", showSymbol: false, lineStyle: { opacity: 0.35 }, data: points.map(function (p) { return [p[0], p[3]]; }) }
          ]
        }, true);
        document.querySelector("[data-chart-title]").textContent = state.name + "（" + state.unit + "）";
      });
  }

  function choose(button) {
    document.querySelectorAll("[data-metric]").forEach(function (b) { b.classList.remove("active"); });
    button.classList.add("active");
    state.metric = button.dataset.metric; state.unit = button.dataset.unit; state.name = button.dataset.name;
    load();
  }

  document.querySelectorAll("[data-metric]").forEach(function (button) {
    button.addEventListener("click", function () { choose(button); });
  });
  document.querySelectorAll("[data-hours]").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll("[data-hours]").forEach(function (b) { b.classList.remove("active"); });
      button.classList.add("active");
      state.hours = parseInt(button.dataset.hours, 10);
      load();
    });
  });
  window.addEventListener("resize", function () { chart.resize(); });
  var first = document.querySelector("[data-metric]");
  if (first) choose(first);
})();
