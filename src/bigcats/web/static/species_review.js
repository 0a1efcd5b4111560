// Ticking a burst's box ticks (or unticks) every photo of the burst, so one decision covers a passing animal.
document.querySelectorAll(".tick-burst").forEach(box => box.addEventListener("change", () =>
  box.closest(".burst").querySelectorAll('input[name="obs"]').forEach(c => { c.checked = box.checked; })));
