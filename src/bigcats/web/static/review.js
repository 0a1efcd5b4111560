// The review queue: each proposed match shows the photo to identify beside the candidate's reference photo of the
// same flank, both zoomable (wheel, pinch, drag; zoomed together unless unticked), with when, where and with
// which camera the photo was taken, the candidate's other photos and the score in words. A decision is sent
// with the CSRF token and the row leaves the queue. An editor can drag a box round the animal on the photo to
// identify and set its flank: both are stored (undoably) for the next matching run of that photo.
(function () {
  const list = document.getElementById("review-list");
  const t = JSON.parse(document.getElementById("review-i18n").textContent);
  function csrf() { const m = document.cookie.match(/(?:^|;\s*)bigcats_csrf=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function panel(src, large, caption) {
    const f = el("figure", "zoom-panel");
    const stage = el("div", "stage");
    // The medium size first; the large one replaces it when the reviewer zooms in (same shape, same transform).
    if (src) { const img = el("img"); img.src = src; img.dataset.large = large; img.alt = caption; img.loading = "lazy"; stage.appendChild(img); }
    else stage.appendChild(el("p", "empty", t.nophoto));
    f.appendChild(stage); f.appendChild(el("figcaption", null, caption));
    return f;
  }
  function flank(side) { return t.flank + ": " + (t[side] || side); }
  function decide(item, decision, row, status) {
    fetch("/api/review/" + item.id, { method: "POST", headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json" }, body: JSON.stringify({ decision }) })
      .then(r => r.json().then(body => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (ok) { row.remove(); if (!list.querySelector(".review-item")) list.textContent = list.dataset.empty; }
        else { status.textContent = body.detail || body.error || String(body); }
      });
  }
  function saveBox(item, body, status) {
    return fetch("/api/review/" + item.id + "/box", { method: "POST", headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(r => r.json().then(b => ({ ok: r.ok, b })))
      .then(({ ok, b }) => { status.textContent = ok ? t.saved : (b.detail || b.error || String(b)); status.className = ok ? "status" : "status error"; return ok; });
  }
  // The box as an overlay on the photo's stage, from relative coordinates (0-1) of the photo as shown.
  function showBox(stage, img, box) {
    let ov = stage.querySelector(".drawn-box");
    if (!box) { if (ov) ov.remove(); return; }
    if (!ov) { ov = el("div", "drawn-box"); stage.appendChild(ov); }
    const s = stage.getBoundingClientRect(), r = img.getBoundingClientRect();
    ov.style.left = (r.left - s.left + box[0] * r.width) + "px"; ov.style.top = (r.top - s.top + box[1] * r.height) + "px";
    ov.style.width = (box[2] * r.width) + "px"; ov.style.height = (box[3] * r.height) + "px";
  }
  // Drawing mode: zoom is reset and paused, a drag on the photo draws the box, the release saves it with the flank.
  function drawTool(item, left, zs, flankSel, status) {
    const stage = left.querySelector(".stage"), img = left.querySelector("img");
    const button = el("button", "secondary", t.draw); button.type = "button"; button.title = t.drawhelp;
    if (!img) { button.disabled = true; return button; }
    let start = null, box = null;
    const rel = e => { const r = img.getBoundingClientRect(); return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))]; };
    const current = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])];
    function down(e) { start = rel(e); e.preventDefault(); e.stopPropagation(); stage.setPointerCapture && stage.setPointerCapture(e.pointerId); }
    function move(e) { if (!start) return; box = current(start, rel(e)); showBox(stage, img, box); e.preventDefault(); e.stopPropagation(); }
    function up(e) {
      if (!start) return;
      box = current(start, rel(e)); start = null; e.preventDefault(); e.stopPropagation();
      stop();
      if (box[2] < 0.01 || box[3] < 0.01) { showBox(stage, img, null); return; }
      saveBox(item, { bboxX: box[0], bboxY: box[1], bboxWidth: box[2], bboxHeight: box[3], side: flankSel.value }, status);
    }
    function stop() {
      stage.classList.remove("drawing"); button.classList.remove("active");
      stage.removeEventListener("pointerdown", down, true); stage.removeEventListener("pointermove", move, true); stage.removeEventListener("pointerup", up, true);
      zs.forEach(z => z.setOptions({ disablePan: false, disableZoom: false }));
    }
    button.onclick = () => {
      if (stage.classList.contains("drawing")) { stop(); return; }
      zs.forEach(z => { z.reset({ animate: false }); z.setOptions({ disablePan: true, disableZoom: true }); });
      stage.classList.add("drawing"); button.classList.add("active"); status.textContent = t.drawhelp; status.className = "status";
      stage.addEventListener("pointerdown", down, true); stage.addEventListener("pointermove", move, true); stage.addEventListener("pointerup", up, true);
    };
    // A box already stored (drawn before, or from a detector) is shown once the photo has its size.
    if (item.bboxX != null) { const show = () => showBox(stage, img, [item.bboxX, item.bboxY, item.bboxWidth, item.bboxHeight]); if (img.complete) show(); else img.addEventListener("load", show, { once: true }); }
    return button;
  }
  function zoomPair(row, panels, sync) {
    const zs = [];
    panels.forEach(p => {
      const img = p.querySelector("img");
      if (!img) return;
      const z = Panzoom(img, { maxScale: 10, minScale: 1 });
      zs.push(z);
      p.querySelector(".stage").addEventListener("wheel", e => { z.zoomWithWheel(e); });
      img.addEventListener("panzoomzoom", () => { if (img.dataset.large && img.src.indexOf("/large.jpg") < 0) img.src = img.dataset.large; });
      img.addEventListener("panzoomchange", e => {
        if (!sync.checked || row.dataset.syncing) return;
        row.dataset.syncing = "1";
        for (const other of zs) if (other !== z) { other.zoom(e.detail.scale, { animate: false, silent: true }); other.pan(e.detail.x, e.detail.y, { animate: false, silent: true }); }
        delete row.dataset.syncing;
        row.dataset.scale = String(e.detail.scale);
      });
    });
    return zs;
  }
  fetch("/api/review").then(r => r.json()).then(q => {
    // The page arrives saying the queue is empty (true without JavaScript too); items replace that line.
    if (!q.items.length) { list.textContent = list.dataset.empty; return; }
    list.textContent = "";
    for (const item of q.items) {
      const row = el("section", "review-item"); row.dataset.proposal = item.id;
      const head = el("h2", null, item.scientificName + " · " + flank(item.side) + (item.partner ? " · " + item.partner : ""));
      row.appendChild(head);
      const pair = el("div", "pair");
      const left = panel(item.queryThumb, item.queryLarge, t.photo);
      const who = item.individual ? t.individual + ": " + item.individual : t.new + "?";
      const right = panel(item.individual ? item.candidateThumb : null, item.candidateLarge, who);
      pair.appendChild(left); pair.appendChild(right);
      row.appendChild(pair);
      const tools = el("p", "tools");
      const sync = el("input"); sync.type = "checkbox"; sync.checked = true; sync.className = "sync";
      const lab = el("label"); lab.appendChild(sync); lab.appendChild(document.createTextNode(" " + t.sync));
      tools.appendChild(lab);
      const reset = el("button", "secondary", t.reset); reset.type = "button";
      tools.appendChild(reset);
      row.appendChild(tools);
      const facts = el("dl", "facts");
      const taken = item.taken || {};
      for (const [k, v] of [[t.taken, taken.date], [t.station, taken.station ? taken.station + (taken.country ? " (" + taken.country + ")" : "") : null], [t.camera, taken.camera],
                            [t.aliases, (item.candidateAliases || []).join(", ") || null]]) {
        facts.appendChild(el("dt", null, k)); facts.appendChild(el("dd", null, v || t.unknown));
      }
      const w = item.scoreWords || { level: "none" };
      facts.appendChild(el("dt", null, t.score));
      const dd = el("dd", "score-words");
      dd.dataset.level = w.level;
      dd.textContent = (item.score == null ? "" : item.score.toFixed(2) + (item.rank ? " (" + t.rank + " " + item.rank + ")" : "") + " — ") + t[w.level] +
        " " + t.explain + " " + (w.threshold != null ? w.threshold.toFixed(2) : "") + ".";
      facts.appendChild(dd);
      row.appendChild(facts);
      if (item.candidatePhotos && item.candidatePhotos.length) {
        row.appendChild(el("h3", null, t.others));
        const strip = el("div", "photos");
        for (const p of item.candidatePhotos) {
          const fig = el("figure"); const img = el("img"); img.src = p.url; img.alt = flank(p.flank); img.loading = "lazy";
          img.title = flank(p.flank) + (p.partner ? " · " + p.partner : "");
          img.onclick = () => { const big = right.querySelector("img"); if (big) { big.src = p.url.replace("/thumb.jpg", "/large.jpg"); big.dataset.large = p.large; } };
          fig.appendChild(img); fig.appendChild(el("figcaption", null, (t[p.flank] || p.flank) + (p.partner ? " · " + p.partner : "")));
          strip.appendChild(fig);
        }
        row.appendChild(strip);
      }
      const status = el("p", "status error");
      const buttons = el("p", "decisions");
      if (item.canDecide) {
        const choices = item.individual ? [["confirm", t.confirm], ["reject", t.reject], ["new", t.new]] : [["new", t.new], ["reject", t.reject]];
        for (const [decision, label] of choices) {
          const b = el("button", decision === "confirm" ? "" : "secondary", label); b.type = "button"; b.dataset.decision = decision;
          b.onclick = () => decide(item, decision, row, status);
          buttons.appendChild(b);
        }
      }
      row.appendChild(buttons);
      row.appendChild(status);
      list.appendChild(row);
      const zs = zoomPair(row, [left, right], sync);
      reset.onclick = () => zs.forEach(z => z.reset({ animate: false }));
      if (item.canDecide) {
        // The flank as the reviewer sees it, saved on change; the box tool sends it along with the box.
        const flankSel = el("select", "flank-choice"); flankSel.setAttribute("aria-label", t.flank);
        for (const side of ["left", "right", "unknown"]) { const o = el("option", null, side === "unknown" ? t.unknownflank : t[side]); o.value = side; if (side === item.side) o.selected = true; flankSel.appendChild(o); }
        flankSel.onchange = () => saveBox(item, { side: flankSel.value }, status);
        const fl = el("label", null, t.flank + " "); fl.appendChild(flankSel);
        tools.appendChild(fl);
        tools.appendChild(drawTool(item, left, zs, flankSel, status));
      }
    }
    list.dataset.loaded = String(q.items.length);
  });
})();
