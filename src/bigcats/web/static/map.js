// The map page: offline base map (country outlines shipped with bigcats), stations and detections from the API.
(function () {
  const t = JSON.parse(document.getElementById("i18n").textContent);
  const map = L.map("map", { preferCanvas: true }).setView([45.5, 128.5], 5);
  const status = document.getElementById("map-status");
  // Panes keep the opaque base map under the published boundaries, and both under home ranges and points.
  map.createPane("basemap").style.zIndex = 250;
  map.createPane("water").style.zIndex = 260;
  map.createPane("boundaries").style.zIndex = 300;
  const countries = L.geoJSON(null, { pane: "basemap", style: { color: "#7b8c7f", weight: 1, fillColor: "#e4eadf", fillOpacity: 1 } }).addTo(map);
  // Rivers and lakes (Natural Earth 1:50m, shipped with bigcats): lines and small lakes that hide nothing, on.
  const water = L.geoJSON(null, { pane: "water",
    style: f => f.properties.kind === "lake"
      ? { color: "#5b8fb9", weight: 1, fillColor: "#b5d3ea", fillOpacity: 1 } : { color: "#5b8fb9", weight: 1.2 },
    onEachFeature: (f, l) => { const p = f.properties, n = p[t.lang] || p.name; if (n) l.bindTooltip(esc(n)); } }).addTo(map);
  const stations = L.layerGroup().addTo(map);
  const detections = L.layerGroup().addTo(map);
  // Published boundary and habitat layers (bigcats layers publish), drawn under the points; not sensitive.
  const styles = {
    parks: { color: "#2e6b3a", weight: 2, fill: false },
    zones: { color: "#6b8e23", weight: 1, dashArray: "4 3", fillOpacity: 0.05 },
    units: { color: "#555", weight: 1, dashArray: "2 4", fill: false },
    habitat: { color: "#8fbf6f", weight: 0, fillColor: "#8fbf6f", fillOpacity: 0.35 },
  };
  const overlays = {};
  for (const kind of ["habitat", "units", "zones", "parks"]) {
    overlays[kind] = L.geoJSON(null, { pane: "boundaries", style: styles[kind], interactive: kind !== "habitat",
      onEachFeature: (f, l) => l.bindPopup(esc(f.properties.name ?? f.properties.class ?? f.properties.layer)) });
  }
  const homeranges = L.geoJSON(null, {
    style: f => f.properties.precision === "exact"
      ? { color: "#b03a2e", weight: 2, fillOpacity: 0.1 }
      : { color: "#b03a2e", weight: 1, dashArray: "3 3", fillOpacity: 0.15 },
    onEachFeature: (f, l) => { const p = f.properties;
      l.bindPopup(`${t.homerange}: <b>${esc(p.individualID)}</b> <i>${esc(p.scientificName)}</i><br>` +
                  `${t.area}: ${p.area_km2}<br>${p.precision === "exact" ? t.exact : t.footprint}`); } });
  L.control.layers(null, { [t.countries]: countries, [t.water]: water, [t.parks]: overlays.parks, [t.zones]: overlays.zones,
    [t.units]: overlays.units, [t.habitat]: overlays.habitat, [t.homeranges]: homeranges,
    [t.stations]: stations, [t.detections]: detections }, { collapsed: false }).addTo(map);
  fetch("/api/basemap/countries.geojson").then(r => r.json()).then(g => countries.addData(g));
  fetch("/api/basemap/water.geojson").then(r => r.json()).then(g => {
    water.addData(g); document.getElementById("map").dataset.water = g.features.length; });
  fetch("/api/layers").then(r => r.json()).then(published => {
    const kinds = new Set(published.map(l => l.kind));
    for (const kind of Object.keys(overlays)) {
      if (!kinds.has(kind)) continue;
      fetch("/api/layers.geojson?kind=" + kind).then(r => r.json()).then(g => {
        overlays[kind].addData(g);
        // Filled layers hide what lies under them: boundaries are on at first, habitat and census units off.
        if (kind === "parks" || kind === "zones") overlays[kind].addTo(map);
        document.getElementById("map").dataset["layer_" + kind] = g.features.length;
      });
    }
  });

  function esc(s) { return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
  function where(p) { return p.precision === "exact" ? t.exact : t.generalised; }

  function load() {
    const params = new URLSearchParams(new FormData(document.getElementById("map-filters")));
    for (const [k, v] of [...params.entries()]) if (!v) params.delete(k);
    const q = params.toString();
    Promise.all([fetch("/api/stations.geojson?" + q).then(r => r.json()),
                 fetch("/api/map/detections.geojson?" + q).then(r => r.json()),
                 fetch("/api/homeranges.geojson?" + q).then(r => r.json())]).then(([st, det, hr]) => {
      stations.clearLayers(); detections.clearLayers(); homeranges.clearLayers();
      homeranges.addData(hr);
      // Home ranges cover the stations: off until asked for (layer control).
      document.getElementById("map").dataset.homeranges = hr.features.length;
      const bounds = [];
      for (const f of st.features) {
        const [x, y] = f.geometry.coordinates; bounds.push([y, x]);
        L.circleMarker([y, x], { radius: 3, color: "#2f4a38", weight: 1, fillOpacity: 0.8 })
          .bindPopup(`${t.station}: ${esc(f.properties.locationID)}<br>${esc(f.properties.partner)} · ${esc(f.properties.country)}<br>${where(f.properties)}`)
          .addTo(stations);
      }
      for (const f of det.features) {
        const [x, y] = f.geometry.coordinates; const p = f.properties;
        L.circleMarker([y, x], { radius: 4 + Math.sqrt(p.detections), color: "#c0763a", weight: 1, fillOpacity: 0.5,
                                 dashArray: p.precision === "exact" ? null : "3 3" })
          .bindPopup(`<i>${esc(p.scientificName)}</i><br>${t.detections}: ${p.detections}<br>${t.individuals}: ${p.individuals}<br>${where(p)}`)
          .addTo(detections);
      }
      if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 10 });
      status.textContent = t.shown.replace("{stations}", st.features.length).replace("{points}", det.features.length);
      document.getElementById("map").dataset.stations = st.features.length;
      document.getElementById("map").dataset.detections = det.features.length;
    });
  }
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    const row = (sym, label) => `<div><span class="sym ${sym}"></span>${esc(label)}</div>`;
    div.innerHTML = `<b>${esc(t.legend)}</b>` + row("station", t.stations) + row("detection", t.detectionsLegend) +
      row("generalised", t.generalised) + row("water", t.water) + row("park", t.parks) + row("zone", t.zones) + row("habitat", t.habitat) +
      row("homerange", t.homeranges);
    return div;
  };
  legend.addTo(map);
  const exportLink = document.getElementById("export-view");
  if (exportLink) exportLink.addEventListener("click", e => {
    const params = new URLSearchParams(new FormData(document.getElementById("map-filters")));
    for (const [k, v] of [...params.entries()]) if (!v) params.delete(k);
    const b = map.getBounds();
    params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => v.toFixed(4)).join(","));
    exportLink.href = "/api/downloads/map.gpkg?" + params;
  });
  document.getElementById("map-filters").addEventListener("submit", e => { e.preventDefault(); load(); });
  load();
})();
