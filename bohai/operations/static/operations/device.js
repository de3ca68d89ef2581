/* A device's history: per metric the average line and the min–max band (from the telemetry store, at most
 * 2000 points per chart at the finest resolution that fits). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("ops-history");
    if (!source || typeof echarts === "undefined") return;
    JSON.parse(source.textContent).forEach(function (chart) {
      var element = document.getElementById("history-" + chart.code);
      if (!element) return;
      var instance = echarts.init(element, null, { renderer: "canvas" });
      var band = chart.resolution !== "raw";
      instance.setOption({
        animation: false,
        grid: { left: 48, right: 16, top: 12, bottom: 28 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "time", axisLabel: { color: "#9fb6d0" }, axisLine: { lineStyle: { color: "#2d4a6b" } } },
        yAxis: { type: "value", scale: true, axisLabel: { color: "#9fb6d0" }, splitLine: { lineStyle: { color: "#1b3350" } } },
        series: [
          { name: "min", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
            data: band ? chart.points.map(function (p) { return [p[0], p[2]]; }) : [] },
          { name: "max-min", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
            areaStyle: { color: "rgba(79,163,255,.2)" }, data: band ? chart.points.map(function (p) { return [p[0], p[3] - p[2]]; }) : [] },
          { name: chart.name, type: "line", showSymbol: chart.points.length < 50, lineStyle: { color: "#4fa3ff", width: 1.6 },
            itemStyle: { color: "#4fa3ff" }, data: chart.points.map(function (p) { return [p[0], p[1]]; }) },
        ],
      });
      window.addEventListener("resize", function () { instance.resize(); });
    });
  });
})();
