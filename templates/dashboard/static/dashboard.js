// Ask before an action that tells the customer or moves money.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A running broadcast's progress bar follows the sender, every 2 seconds, until it ends.
for (const card of document.querySelectorAll("[data-progress]")) {
  const field = (name) => card.querySelector(`[data-field="${name}"]`);
  const timer = setInterval(async () => {
    const response = await fetch(card.dataset.progress, {credentials: "same-origin"});
    if (!response.ok) return;
    const p = await response.json();
    field("bar").style.width = p.percent + "%";
    for (const name of ["sent", "audience", "failed", "blocked", "skipped"]) field(name).textContent = p[name];
    if (!["scheduled", "sending", "paused"].includes(p.status)) {
      clearInterval(timer);
      window.location.reload();  // the final figures and status, rendered by the server
    }
  }, 2000);
}
