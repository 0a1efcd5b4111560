// The dashboard's density section: SCR estimates per species from /api/density, fitted on demand one at a time.
(function () {
  const box = document.getElementById("density");
  if (!box) return;
  const t = JSON.parse(document.getElementById("density-i18n").textContent);
  const table = document.getElementById("density-table");
  const body = table.querySelector("tbody");
  const status = document.getElementById("density-status");
  const base = new URLSearchParams();
  if (box.dataset.side) base.set("side", box.dataset.side);
  const rows = {};

  function esc(s) { return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
  function num(x, d) { return x == null ? "" : Number(x).toLocaleString(document.documentElement.lang, { maximumFractionDigits: d, minimumFractionDigits: d }); }

  function show(r) {
    let tr = rows[r.scientificName];
    if (!tr) { tr = document.createElement("tr"); tr.dataset.species = r.scientificName; body.appendChild(tr); rows[r.scientificName] = tr; }
    tr.dataset.status = r.status;
    const name = `<td title="${esc(r.scientificName)}">${esc(r.name)}</td>`;
    if (r.status === "ok") {
      tr.innerHTML = `${name}<td class="estimate">${num(r.estimate, 2)}</td><td>${num(r.lcl, 2)} – ${num(r.ucl, 2)}</td>` +
        `<td>${r.individuals}</td><td>${r.detectors}</td><td>${esc(r.partners.join(", "))}</td>`;
    } else {
      const what = r.status === "not computed" ? t.computing : `${t.failed}: ${esc(r.message)}`;
      tr.innerHTML = `${name}<td colspan="4">${what}</td><td>${esc((r.partners || []).join(", "))}</td>`;
    }
  }

  async function run() {
    const listed = await (await fetch("/api/density?" + base)).json();
    const wanted = box.dataset.species ? box.dataset.species.split(",") : null;
    const todo = listed.filter(r => !wanted || wanted.includes(r.scientificName));
    if (!todo.length) { status.textContent = t.none; return; }
    table.hidden = false;
    todo.forEach(show);
    // One species per request, in turn: each fit takes seconds and the server runs one at a time anyway.
    for (const r of todo.filter(r => r.status === "not computed")) {
      const q = new URLSearchParams(base); q.set("species", r.scientificName);
      const got = await (await fetch("/api/density?" + q)).json();
      got.filter(g => g.scientificName === r.scientificName).forEach(show);
    }
    box.dataset.done = "1";
  }
  run();
})();
