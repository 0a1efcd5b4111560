// Upload with a progress bar, then follow the import job until its intake report arrives, shown as a summary
// (what was added, which files were skipped and why) with the full report folded below.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const t = JSON.parse(document.getElementById("upload-i18n").textContent);
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const summary = document.getElementById("upload-summary");
  const details = document.getElementById("upload-details");
  const report = document.getElementById("upload-report");
  const kind = document.getElementById("upload-kind");
  const options = document.getElementById("image-options");
  function csrf() { const m = document.cookie.match(/(?:^|;\s*)bigcats_csrf=([^;]+)/); return m ? decodeURIComponent(m[1]) : document.querySelector('meta[name="csrf-token"]').content; }
  function el(tag, text) { const e = document.createElement(tag); if (text != null) e.textContent = text; return e; }
  function showKind() { options.hidden = kind.value !== "images"; }
  kind.addEventListener("change", showKind); showKind();
  function table(rows, head) {
    const tb = el("table"); tb.className = "grid";
    const tr = el("tr"); head.forEach(h => tr.appendChild(el("th", h))); tb.appendChild(tr);
    rows.forEach(r => { const x = el("tr"); r.forEach(v => x.appendChild(el("td", v == null ? "" : String(v)))); tb.appendChild(x); });
    return tb;
  }
  function render(job) {
    summary.textContent = ""; summary.hidden = false;
    const imp = job.report.import || job.report;
    const intake = job.report.intake;
    const added = imp.added || {};
    const addedRows = Object.entries(added).filter(([, n]) => n > 0);
    summary.appendChild(el("h2", t.added));
    if (addedRows.length) summary.appendChild(table(addedRows, ["", t.added]));
    else summary.appendChild(el("p", t.nothing));
    if (intake && intake.skipped_files && intake.skipped_files.length) {
      summary.appendChild(el("h2", t.skipped + " (" + intake.skipped_files.length + ")"));
      summary.appendChild(table(intake.skipped_files.slice(0, 200).map(s => [s.file, s.message || s.code]), [t.file, t.reason]));
    }
    if (intake && intake.warnings && intake.warnings.length) {
      summary.appendChild(el("h2", t.warnings + " (" + intake.n_warnings + ")"));
      const ul = el("ul"); intake.warnings.slice(0, 50).forEach(w => ul.appendChild(el("li", (w.file ? w.file + ": " : "") + w.message))); summary.appendChild(ul);
    }
  }
  function follow(id) {
    fetch("/api/uploads/" + id).then(r => r.json()).then(job => {
      status.textContent = `${status.dataset.importing}: ${job.stage || ""} ${job.rows || ""}`;
      if (job.status === "done" || job.status === "failed") {
        status.textContent = job.status === "done" ? status.dataset.done : status.dataset.failed + " — " + job.error;
        status.dataset.state = job.status;
        status.className = job.status === "done" ? "status ok" : "status error";
        if (job.status === "done") { render(job); details.hidden = false; report.textContent = JSON.stringify(job.report, null, 2); }
        bar.value = 100;
      } else setTimeout(() => follow(id), 500);
    });
  }
  form.addEventListener("submit", e => {
    e.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    bar.hidden = false; bar.value = 0; status.dataset.state = "uploading"; summary.hidden = true; details.hidden = true;
    xhr.upload.onprogress = ev => { if (ev.lengthComputable) { bar.value = 100 * ev.loaded / ev.total; status.textContent = `${status.dataset.uploading} ${Math.round(bar.value)}%`; } };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText || "{}"); } catch (err) { body = { detail: xhr.statusText }; }
      if (xhr.status === 202) follow(body.id);
      else { status.textContent = status.dataset.failed + " — " + (body.detail || xhr.statusText); status.dataset.state = "failed"; status.className = "status error"; }
    };
    const data = new FormData(form);
    for (const k of ["utc_offset", "pattern", "country", "utm_zone", "crs"]) if (!data.get(k)) data.delete(k);
    for (const k of ["stations", "label_map"]) { const f = data.get(k); if (!f || !f.name) data.delete(k); }
    if (kind.value !== "images") for (const k of ["utc_offset", "pattern", "country", "stations", "label_map", "species_from", "utm_zone", "crs"]) data.delete(k);
    xhr.send(data);
  });
})();
