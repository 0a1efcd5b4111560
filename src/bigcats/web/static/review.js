// The review queue: each proposed match shows the new photo beside the candidate's reference photo of the same
// flank, with the three decisions; a decision is sent with the CSRF token and the row leaves the queue.
(function () {
  const list = document.getElementById("review-list");
  const d = list.dataset;
  function csrf() { const m = document.cookie.match(/(?:^|;\s*)bigcats_csrf=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function figure(src, caption) {
    const f = document.createElement("figure");
    if (src) { const img = document.createElement("img"); img.src = src; img.height = 220; img.alt = caption; img.loading = "lazy"; f.appendChild(img); }
    else { const p = document.createElement("p"); p.textContent = d.nophoto; f.appendChild(p); }
    const c = document.createElement("figcaption"); c.textContent = caption; f.appendChild(c);
    return f;
  }
  function decide(item, decision, row, status) {
    fetch("/api/review/" + item.id, { method: "POST", headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json" }, body: JSON.stringify({ decision }) })
      .then(r => r.json().then(body => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (ok) { row.remove(); if (!list.querySelector(".pair")) list.textContent = d.empty; }
        else { status.textContent = body.detail || body.error || String(body); }
      });
  }
  fetch("/api/review").then(r => r.json()).then(q => {
    // The page arrives saying the queue is empty (true without JavaScript too); items replace that line.
    if (!q.items.length) { list.textContent = d.empty; return; }
    list.textContent = "";
    for (const item of q.items) {
      const row = document.createElement("section"); row.className = "pair";
      const photos = document.createElement("div"); photos.className = "photos";
      photos.appendChild(figure(item.queryPhoto, d.side + ": " + item.side));
      const score = item.score == null ? "" : " (" + item.score.toFixed(2) + ")";
      const who = item.individual ? d.individual + ": " + item.individual + score : d.new + "?" + score;
      photos.appendChild(figure(item.individual ? item.candidatePhoto : null, who));
      row.appendChild(photos);
      const meta = document.createElement("p"); meta.textContent = item.scientificName + " · " + (item.partner || "") + (item.rank ? " · #" + item.rank : "");
      row.appendChild(meta);
      const status = document.createElement("p"); status.className = "status";
      if (item.canDecide) {
        const choices = item.individual ? [["confirm", d.confirm], ["reject", d.reject], ["new", d.new]] : [["new", d.new], ["reject", d.reject]];
        for (const [decision, label] of choices) {
          const b = document.createElement("button"); b.type = "button"; b.textContent = label; b.dataset.decision = decision;
          b.onclick = () => decide(item, decision, row, status);
          row.appendChild(b);
        }
      }
      row.appendChild(status);
      list.appendChild(row);
    }
  });
})();
