/* Region maps drawn with ECharts from the regions GeoJSON layer.
 *
 *   BohaiRegionMap.draw(element, featureCollection, {highlightKey, linkTemplate, title})
 *
 * Regions are coloured by population (in 10k); a click opens the region's page.
 */
(function () {
  "use strict";

  function dataItem(feature) {
    var p = feature.properties;
    return {
      name: p.name,
      label: p.label || p.name,
      key: p.key,
      code: p.code,
      population: p.population,
      area: p.area_km2,
      isDemo: p.is_demo,
      value: p.population == null ? null : Math.round(p.population / 1000) / 10,
    };
  }

  function tooltip(params) {
    var d = params.data;
    if (!d) return params.name;
    var rows = [
      "<strong>" + echarts.format.encodeHTML(d.name) + "</strong>",
      "代码：" + (d.code || "—"),
      "人口：" + (d.value == null ? "—" : d.value + " 万人"),
      "面积：" + (d.area == null ? "—" : Math.round(d.area).toLocaleString("zh-CN") + " 平方公里"),
    ];
    if (d.isDemo) rows.push("演示数据（非官方）");
    return rows.join("<br>");
  }

  function draw(element, layer, options) {
    options = options || {};
    var mapName = "bohai-" + (element.id || Math.random().toString(36).slice(2));
    echarts.registerMap(mapName, layer);
    var data = layer.features.map(dataItem);
    var values = data.map(function (d) { return d.value; }).filter(function (v) { return v != null; });
    var colouredByPopulation = values.length > 1 && Math.min.apply(null, values) < Math.max.apply(null, values);
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "item", formatter: tooltip },
      visualMap: colouredByPopulation ? {
        min: Math.min.apply(null, values),
        max: Math.max.apply(null, values),
        text: ["人口（万）", ""],
        calculable: true,
        left: "left",
        bottom: 10,
        inRange: { color: ["#dbe9f6", "#6baed6", "#2171b5", "#08306b"] },
      } : undefined,
      series: [{
        type: "map",
        map: mapName,
        roam: options.roam !== false,
        selectedMode: false,
        labelLayout: { hideOverlap: true },
        label: {
          show: options.labels !== false, fontSize: 11, color: "#1d273b",
          formatter: function (params) { return (params.data && params.data.label) || params.name; },
          textBorderColor: "rgba(255, 255, 255, 0.85)", textBorderWidth: 2,
        },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1, areaColor: colouredByPopulation ? "#e9ecef" : "#6baed6" },
        emphasis: { label: { color: "#000" }, itemStyle: { areaColor: "#f59f00" } },
        data: data,
      }],
    });
    if (options.linkTemplate) {
      chart.on("click", function (params) {
        if (params.data && params.data.key && params.data.key !== options.highlightKey) {
          window.location.href = options.linkTemplate.replace("__key__", encodeURIComponent(params.data.key));
        }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function load(element, url, options) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (layer) { return draw(element, layer, options); })
      .catch(function () {
        element.innerHTML = '<div class="empty"><p class="empty-title">地图数据加载失败</p></div>';
      });
  }

  window.BohaiRegionMap = { draw: draw, load: load };
})();
