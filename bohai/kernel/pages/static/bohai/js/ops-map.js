// The operations centre's county map: boundaries from the regions API, drawn by ECharts.
(function () {
  "use strict";

  function showNote(container, text) {
    container.innerHTML = "";
    const note = document.createElement("div");
    note.className = "h-100 d-flex align-items-center justify-content-center ops-muted";
    note.textContent = text;
    container.appendChild(note);
  }

  function draw(container, geojson) {
    const features = geojson.features || [];
    if (!features.length) {
      showNote(container, container.dataset.emptyText);
      return;
    }
    echarts.registerMap("bohai-city", geojson);
    const chart = echarts.init(container, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}" },
      series: [{
        type: "map",
        map: "bohai-city",
        roam: true,
        label: { show: true, color: "#dbe7f5", fontSize: 12 },
        itemStyle: { areaColor: "#12345a", borderColor: "#4fa3ff", borderWidth: 1 },
        emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#1f6fd1" } },
        select: { disabled: true },
        labelLayout: { hideOverlap: true },
        data: features.map((f) => ({ name: (f.properties || {}).name })),
      }],
    });
    window.addEventListener("resize", () => chart.resize());
  }

  function load() {
    const container = document.getElementById("ops-map");
    if (!container) return;
    if (typeof echarts === "undefined" || !container.dataset.geojsonUrl) {
      showNote(container, container.dataset.unavailableText);
      return;
    }
    fetch(container.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((geojson) => draw(container, geojson))
      .catch(() => showNote(container, container.dataset.unavailableText));
  }

  document.addEventListener("DOMContentLoaded", load);
})();
