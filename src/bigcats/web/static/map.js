// The map page: offline base map (country outlines shipped with bigcats), stations and detections from the API.
(function () {
  const t = JSON.parse(document.getElementById("i18n").textContent);
  const map = L.map("map", { preferCanvas: true }).setView([45.5, 128.5], 5);
  const status = document.getElementById("map-status");
  const countries = L.geoJSON(null, { style: { color: "#7b8c7f", weight: 1, fillColor: "#e4eadf", fillOpacity: 1 } }).addTo(map);
  const stations = L.layerGroup().addTo(map);
  const detections = L.layerGroup().addTo(map);
  L.control.layers(null, { [t.countries]: countries, [t.stations]: stations, [t.detections]: detections }).addTo(map);
  fetch("/api/basemap/countries.geojson").then(r => r.json()).then(g => countries.addData(g));

  function esc(s) { return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
  function where(p) { return p.precision === "exact" ? t.exact : t.generalised; }

  function load() {
    const params = new URLSearchParams(new FormData(document.getElementById("map-filters")));
    for (const [k, v] of [...params.entries()]) if (!v) params.delete(k);
    const q = params.toString();
    Promise.all([fetch("/api/stations.geojson?" + q).then(r => r.json()),
                 fetch("/api/map/detections.geojson?" + q).then(r => r.json())]).then(([st, det]) => {
      stations.clearLayers(); detections.clearLayers();
      const bounds = [];
      for (const f of st.features) {
        const [x, y] = f.geometry.coordinates; bounds.push([y, x]);
        L.circleMarker([y, x], { radius: 3, color: "#2f4a38", weight: 1, fillOpacity: 0.8 })
          .bindPopup(`${t.station}: ${esc(f.properties.locationID)}<br>${esc(f.properties.partner)} · ${esc(f.properties.country)}<br>${where(f.properties)}`)
          .addTo(stations);
      }
      for (const f of det.features) {
        const [x, y] = f.geometry.coordinates; const p = f.properties;
        L.circleMarker([y, x], { radius: 4 + Math.sqrt(p.detections), color: "#c0763a", weight: 1, fillOpacity: 0.5 })
          .bindPopup(`<i>${esc(p.scientificName)}</i><br>${t.detections}: ${p.detections}<br>${t.individuals}: ${p.individuals}<br>${where(p)}`)
          .addTo(detections);
      }
      if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 10 });
      status.textContent = `${t.loaded}: ${st.features.length} / ${det.features.length}`;
      document.getElementById("map").dataset.stations = st.features.length;
      document.getElementById("map").dataset.detections = det.features.length;
    });
  }
  document.getElementById("map-filters").addEventListener("submit", e => { e.preventDefault(); load(); });
  load();
})();
