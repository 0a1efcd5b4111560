// The review queue: lists proposed matches from the API (photos side by side) with the three decisions.
(function () {
  const list = document.getElementById("review-list");
  function csrf() { const m = document.cookie.match(/(?:^|;\s*)bigcats_csrf=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  fetch("/api/review").then(r => r.json()).then(q => {
    if (!q.items.length) { list.textContent = list.dataset.empty; return; }
    for (const item of q.items) {
      const row = document.createElement("div"); row.className = "pair";
      for (const m of [item.queryMedia, item.candidateMedia]) { const img = document.createElement("img"); img.src = "/api/media/" + m; img.height = 200; row.appendChild(img); }
      for (const [decision, label] of [["confirm", list.dataset.confirm], ["reject", list.dataset.reject], ["new", list.dataset.new]]) {
        const b = document.createElement("button"); b.textContent = label;
        b.onclick = () => fetch("/api/review/" + item.id, { method: "POST", headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json" }, body: JSON.stringify({ decision }) }).then(() => row.remove());
        row.appendChild(b);
      }
      list.appendChild(row);
    }
  });
})();
