// Upload with a progress bar, then follow the import job until its intake report arrives.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const report = document.getElementById("upload-report");
  function csrf() { const m = document.cookie.match(/(?:^|;\s*)bigcats_csrf=([^;]+)/); return m ? decodeURIComponent(m[1]) : document.querySelector('meta[name="csrf-token"]').content; }
  function follow(id) {
    fetch("/api/uploads/" + id).then(r => r.json()).then(job => {
      status.textContent = `${status.dataset.importing}: ${job.stage || ""} ${job.rows || ""}`;
      if (job.status === "done" || job.status === "failed") {
        status.textContent = job.status === "done" ? status.dataset.done : status.dataset.failed;
        status.dataset.state = job.status;
        report.hidden = false;
        report.textContent = job.status === "done" ? JSON.stringify(job.report, null, 2) : job.error;
        bar.value = 100;
      } else setTimeout(() => follow(id), 500);
    });
  }
  form.addEventListener("submit", e => {
    e.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    bar.hidden = false; bar.value = 0; status.dataset.state = "uploading";
    xhr.upload.onprogress = ev => { if (ev.lengthComputable) { bar.value = 100 * ev.loaded / ev.total; status.textContent = `${status.dataset.uploading} ${Math.round(bar.value)}%`; } };
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || "{}");
      if (xhr.status === 202) follow(body.id);
      else { status.textContent = status.dataset.failed; status.dataset.state = "failed"; report.hidden = false; report.textContent = body.detail || xhr.statusText; }
    };
    const data = new FormData(form);
    if (!data.get("utc_offset")) data.delete("utc_offset");
    xhr.send(data);
  });
})();
