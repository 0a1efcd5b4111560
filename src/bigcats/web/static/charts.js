// The dashboard's charts (uPlot, vendored) from /api/dashboard/series: trap-nights, detections and relative
// abundance per species over months, seasons or years; and a small map of the detections the caller may see.
(function () {
  const t = JSON.parse(document.getElementById("density-i18n").textContent);
  const colours = ["#c0392b", "#1f5fa8", "#2e8b57", "#8e44ad", "#d4880f", "#16a085", "#7f8c8d"];
  const charts = [];
  const query = new URLSearchParams(location.search);
  function width(el) { return Math.max(320, el.clientWidth - 10); }
  function plot(el, labels, series, bars) {
    el.textContent = "";
    const x = labels.map((_, i) => i);
    const opts = {
      width: width(el), height: 200, legend: { live: false },
      scales: { x: { time: false }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [{ values: (u, ticks) => ticks.map(i => labels[i] ?? ""), space: 60 }, { size: 50 }],
      series: [{}].concat(series.map((s, i) => ({
        label: s.label, stroke: colours[i % colours.length], width: 2,
        fill: bars ? colours[i % colours.length] + "99" : undefined,
        paths: bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined, points: { show: labels.length < 40 },
      }))),
    };
    const u = new uPlot(opts, [x].concat(series.map(s => s.values)), el);
    charts.push([u, el]);
    el.dataset.points = String(labels.length);
  }
  function load(period) {
    const q = new URLSearchParams(query); q.set("period", period);
    fetch("/api/dashboard/series?" + q).then(r => r.json()).then(s => {
      charts.length = 0;
      const top = s.species.slice(0, 6);
      plot(document.getElementById("chart-effort"), s.labels, [{ label: t.trapNights, values: s.trapNights }], true);
      plot(document.getElementById("chart-detections"), s.labels, top.map(sp => ({ label: sp.name, values: sp.detections })), false);
      plot(document.getElementById("chart-rai"), s.labels, top.map(sp => ({ label: sp.name, values: sp.rai })), false);
      document.getElementById("periods").dataset.loaded = period;
    });
  }
  const buttons = document.querySelectorAll("#periods button");
  if (!buttons.length) return;
  buttons.forEach(b => b.addEventListener("click", () => {
    buttons.forEach(o => { o.className = o === b ? "on" : "secondary"; });
    load(b.dataset.period);
  }));
  load("month");
  window.addEventListener("resize", () => charts.forEach(([u, el]) => u.setSize({ width: width(el), height: 200 })));

  const mapEl = document.getElementById("dash-map");
  if (mapEl && window.L) {
    const map = L.map(mapEl, { zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false, preferCanvas: true });
    fetch("/api/basemap/countries.geojson").then(r => r.json()).then(g =>
      L.geoJSON(g, { style: { color: "#7b8c7f", weight: 1, fillColor: "#e4eadf", fillOpacity: 1 } }).addTo(map).bringToBack());
    fetch("/api/map/detections.geojson?" + (mapEl.dataset.query || "")).then(r => r.json()).then(g => {
      const layer = L.geoJSON(g, { pointToLayer: (f, ll) => L.circleMarker(ll, {
        radius: Math.min(3 + Math.sqrt(f.properties.detections), 12), color: "#c0392b", weight: 1, fillOpacity: 0.5 }) }).addTo(map);
      if (g.features.length) map.fitBounds(layer.getBounds().pad(0.2)); else map.setView([44, 131], 5);
      mapEl.dataset.points = String(g.features.length);
    });
  }
})();
