// An individual's sightings on a small map: every sighting at the precision the caller may see (generalised ones
// as dashed 10 km circles), joined in time order, over the country outlines shipped with bigcats.
(function () {
  const el = document.getElementById("individual-map");
  if (!el) return;
  const map = L.map(el, { preferCanvas: true });
  fetch("/api/basemap/countries.geojson").then(r => r.json()).then(g =>
    L.geoJSON(g, { style: { color: "#7b8c7f", weight: 1, fillColor: "#e4eadf", fillOpacity: 1 } }).addTo(map).bringToBack());
  const colours = { RUS: "#1f5fa8", CHN: "#c0392b", MNG: "#8e6c1f" };
  const pts = [];
  for (const tr of document.querySelectorAll("#sightings-table tbody tr")) {
    const lat = parseFloat(tr.dataset.lat), lon = parseFloat(tr.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) continue;
    pts.push([lat, lon]);
    const colour = colours[tr.dataset.side] || "#444";
    if (tr.dataset.precision === "exact") L.circleMarker([lat, lon], { radius: 6, color: colour, fillOpacity: 0.8 }).addTo(map);
    else L.circle([lat, lon], { radius: 5000, color: colour, dashArray: "4 4", fillOpacity: 0.1 }).addTo(map);
  }
  if (pts.length > 1) L.polyline(pts, { color: "#555", weight: 1, opacity: 0.6 }).addTo(map);
  if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.3), { maxZoom: 10 });
  else map.setView([44, 131], 6);
  el.dataset.points = String(pts.length);
})();
