/* The operations centre's large screen: vital-sign sparklines, the county map with the server-clustered
 * device layer (refetched for the visible box after every pan or zoom), AQI per county as the counties'
 * colour, and the live alarm list polled every few seconds (no page reload).
 */
(function () {
  "use strict";
  var STATUS_COLOURS = { online: "#2fb344", offline: "#7d8da1", alarm: "#ff3b3b" };
  var POLL_MS = 4000;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });
  }

  function note(element, text) {
    element.innerHTML = "";
    var box = document.createElement("div");
    box.className = "h-100 d-flex align-items-center justify-content-center ops-muted";
    box.textContent = text || "";
    element.appendChild(box);
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function sparklines() {
    document.querySelectorAll(".ops-sign .spark").forEach(function (element) {
      var data = JSON.parse(element.dataset.trend || "[]");
      if (!data.length) return;
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        grid: { left: 0, right: 0, top: 4, bottom: 2 },
        xAxis: { type: "time", show: false }, yAxis: { type: "value", show: false, scale: true },
        series: [{ type: "line", showSymbol: data.length < 3, symbolSize: 3, connectNulls: false,
                   data: data.map(function (p) { return [p[0] * 1000, p[1]]; }),
                   lineStyle: { width: 1.5, color: "#4fa3ff" }, itemStyle: { color: "#4fa3ff" },
                   areaStyle: { color: "rgba(79,163,255,.18)" } }],
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function clusterSize(count) { return Math.min(54, 14 + 9 * Math.log10(Math.max(count, 1))); }

  function layerData(layer) {
    if (layer.kind === "devices") {
      return layer.devices.map(function (d) {
        return { name: d.name, value: [d.lng, d.lat, 1], code: d.code, status: d.status, count: 1,
                 symbolSize: 10, itemStyle: { color: STATUS_COLOURS[d.status], borderColor: "#07121f", borderWidth: 1 } };
      });
    }
    return layer.clusters.map(function (c) {
      return { value: [c.lng, c.lat, c.count], count: c.count, status: c.status, online: c.online, offline: c.offline,
               alarm: c.alarm, symbolSize: clusterSize(c.count),
               itemStyle: { color: STATUS_COLOURS[c.status], opacity: 0.85, borderColor: "rgba(255,255,255,.6)", borderWidth: 1 } };
    });
  }

  function mapScreen(element) {
    if (typeof echarts === "undefined") { note(element, element.dataset.unavailableText); return; }
    var boundaries = getJSON(element.dataset.geojsonUrl + "?" + element.dataset.geojsonQuery);
    var aqi = getJSON(element.dataset.aqiUrl).catch(function () { return []; });
    Promise.all([boundaries, aqi]).then(function (loaded) {
      var geojson = loaded[0];
      if (!(geojson.features || []).length) { note(element, element.dataset.emptyText); return; }
      drawMap(element, geojson, loaded[1]);
    }).catch(function () { note(element, element.dataset.unavailableText); });
  }

  function drawMap(element, geojson, aqiRows) {
    var keyByName = {}, aqiByKey = {};
    aqiRows.forEach(function (row) { aqiByKey[row.key] = row; });
    geojson.features.forEach(function (f) {
      f.properties.name = f.properties.label || f.properties.name;
      keyByName[f.properties.name] = f.properties.key;
    });
    var regions = geojson.features.filter(function (f) { return aqiByKey[f.properties.key] && aqiByKey[f.properties.key].value !== null; })
      .map(function (f) {
        var row = aqiByKey[f.properties.key];
        return { name: f.properties.name, itemStyle: { areaColor: row.detail.colour, opacity: 0.35 } };
      });
    echarts.registerMap("ops-screen", geojson);
    element.innerHTML = "";
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item", confine: true,
        formatter: function (p) {
          if (p.componentType === "geo") {
            var row = aqiByKey[keyByName[p.name]];
            return p.name + (row && row.value !== null ? "<br>" + element.dataset.aqiLabel + " " + row.value + " " + row.grade : "");
          }
          var d = p.data;
          if (d.code) return d.name + "<br>" + d.code;
          return d.count + " " + element.dataset.devicesLabel + "<br>在线 " + d.online + " · 离线 " + d.offline + " · 告警 " + d.alarm;
        },
      },
      geo: {
        map: "ops-screen", roam: true, layoutCenter: ["50%", "50%"], layoutSize: "96%", scaleLimit: { min: 0.8, max: 400 }, regions: regions, tooltip: { show: true },
        label: { show: true, color: "#9fc4ee", fontSize: 12, textBorderColor: "#07121f", textBorderWidth: 2 },
        itemStyle: { areaColor: "#0f2a4a", borderColor: "#4fa3ff", borderWidth: 1 },
        emphasis: { label: { color: "#fff" }, itemStyle: { areaColor: "#1f4f86" } },
        select: { disabled: true }, labelLayout: { hideOverlap: true },
      },
      series: [{
        id: "devices", type: "scatter", coordinateSystem: "geo", z: 5, data: [],
        label: { show: true, color: "#fff", fontSize: 11, formatter: function (p) { return p.data.count > 1 ? p.data.count : ""; } },
        labelLayout: { hideOverlap: true },
      }],
    });
    var total = document.querySelector("[data-map-total]");
    var refresh = function () {
      var width = element.clientWidth, height = element.clientHeight;
      var a = chart.convertFromPixel({ geoIndex: 0 }, [0, 0]), b = chart.convertFromPixel({ geoIndex: 0 }, [width, height]);
      if (!a || !b) return;
      var west = Math.max(-180, Math.min(a[0], b[0])), east = Math.min(180, Math.max(a[0], b[0]));
      var south = Math.max(-90, Math.min(a[1], b[1])), north = Math.min(90, Math.max(a[1], b[1]));
      var zoom = Math.log2(360 * width / (256 * (east - west)));
      var url = element.dataset.devicesUrl + "?bbox=" + [west, south, east, north].map(function (v) { return v.toFixed(5); }).join(",")
        + "&zoom=" + zoom.toFixed(2) + (element.dataset.county ? "&county=" + encodeURIComponent(element.dataset.county) : "")
        + (element.dataset.type ? "&type=" + encodeURIComponent(element.dataset.type) : "");
      getJSON(url).then(function (layer) {
        chart.setOption({ series: [{ id: "devices", data: layerData(layer) }] });
        element.dataset.layerKind = layer.kind;
        element.dataset.layerTotal = layer.total;
        if (total) total.textContent = layer.total + " " + element.dataset.devicesLabel;
      });
    };
    chart.on("georoam", debounce(refresh, 250));
    chart.on("click", function (p) {
      if (p.componentType === "series" && p.data) {
        if (p.data.code) { window.location.href = element.dataset.deviceUrl.replace("CODE", encodeURIComponent(p.data.code)); return; }
        var geo = chart.getOption().geo[0];
        chart.setOption({ geo: { center: [p.data.value[0], p.data.value[1]], zoom: (geo.zoom || 1) * 3 } });
        refresh();
      } else if (p.componentType === "geo" && !element.dataset.county && keyByName[p.name]) {
        window.location.href = element.dataset.countyUrl.replace("KEY", encodeURIComponent(keyByName[p.name]));
      }
    });
    window.addEventListener("resize", function () { chart.resize(); refresh(); });
    refresh();
  }

  function timeOf(iso) {
    return new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit",
                                                   hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function alarmItem(alarm, fresh, deviceUrl) {
    var item = document.createElement("li");
    item.className = "sev-" + alarm.severity + (fresh ? " fresh" : "");
    item.dataset.alarm = alarm.id;
    var head = document.createElement("div");
    head.className = "d-flex justify-content-between";
    var subject = document.createElement(alarm.code ? "a" : "span");
    if (alarm.code) subject.href = deviceUrl.replace("CODE", encodeURIComponent(alarm.code));
    subject.textContent = "[" + alarm.severity_label + "] " + alarm.subject;
    var when = document.createElement("span");
    when.className = "when";
    when.textContent = timeOf(alarm.raised_at);
    head.appendChild(subject);
    head.appendChild(when);
    var body = document.createElement("div");
    body.className = "ops-muted";
    body.textContent = alarm.message + (alarm.region ? " · " + alarm.region : "") + " · " + alarm.state_label;
    item.appendChild(head);
    item.appendChild(body);
    return item;
  }

  function alarmList(list) {
    var seen = null, total = document.querySelector("[data-alarm-total]");
    var tick = function () {
      getJSON(list.dataset.url).then(function (feed) {
        var known = seen || {};
        list.innerHTML = "";
        feed.alarms.forEach(function (alarm) { list.appendChild(alarmItem(alarm, seen !== null && !known[alarm.id], list.dataset.deviceUrl)); });
        if (!feed.alarms.length) {
          var empty = document.createElement("li");
          empty.className = "ops-muted";
          empty.textContent = list.dataset.emptyText;
          list.appendChild(empty);
        }
        seen = {};
        feed.alarms.forEach(function (alarm) { seen[alarm.id] = true; });
        if (total) total.textContent = feed.total;
        list.dataset.loaded = "true";
      }).catch(function () {}).finally(function () { setTimeout(tick, POLL_MS); });
    };
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts !== "undefined") sparklines();
    var map = document.getElementById("ops-map");
    if (map && map.dataset.devicesUrl) mapScreen(map);
    var list = document.getElementById("ops-alarms");
    if (list) alarmList(list);
  });
})();
