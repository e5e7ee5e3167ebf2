// Pages that follow running work (a batch) refresh themselves while they are open and visible:
// they press their hidden refresh button every 2 s. A closed tab costs the server nothing.
setInterval(() => {
  if (document.hidden) return;
  document.querySelectorAll("[data-refresh-tick]").forEach((button) => button.click());
}, 2000);

// One websocket message carries at most 1,000,000 bytes: a larger paste would be dropped with the
// connection, and the text with it. Such a paste is kept in the box, not sent, and the page says why.
const MAX_PASTE_BYTES = 900_000;
document.addEventListener(
  "submit",
  (event) => {
    const box = event.target.querySelector && event.target.querySelector("#batch-lines");
    const notice = document.getElementById("batch-lines-too-large");
    if (!box || !notice) return;
    const bytes = new Blob([JSON.stringify(box.value)]).size;
    if (bytes <= MAX_PASTE_BYTES) {
      notice.textContent = "";
      notice.removeAttribute("role");
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    const megabytes = (bytes / 1_000_000).toLocaleString(document.documentElement.lang || undefined, {
      maximumFractionDigits: 1,
    });
    notice.setAttribute("role", "alert");
    notice.textContent = notice.dataset.message.replace("{size}", megabytes);
  },
  true,
);
