// A photo viewer: a click on a .zoomable link opens the large photo, zoomed with the wheel or pinch and panned
// by dragging (vendored @panzoom/panzoom); Escape or the button closes it.
window.bigcatsZoom = (function () {
  function attach(img) {
    const pz = Panzoom(img, { maxScale: 8, minScale: 1 });
    img.parentElement.addEventListener("wheel", pz.zoomWithWheel);
    return pz;
  }
  function viewer() {
    const box = document.getElementById("zoom-viewer");
    if (!box) return;
    const img = box.querySelector("img");
    let pz = null;
    function close() { box.hidden = true; if (pz) { pz.destroy(); pz = null; } img.removeAttribute("src"); }
    box.querySelector(".zoom-close").onclick = close;
    document.addEventListener("keydown", e => { if (e.key === "Escape") close(); });
    document.addEventListener("click", e => {
      const a = e.target.closest("a.zoomable");
      if (!a) return;
      e.preventDefault();
      img.src = a.href;
      box.querySelector(".zoom-caption").textContent = a.dataset.caption || "";
      box.hidden = false;
      img.onload = () => { if (!pz) pz = attach(img); };
    });
  }
  document.addEventListener("DOMContentLoaded", viewer);
  return { attach };
})();
