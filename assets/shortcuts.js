// Ctrl+Enter (Cmd+Enter on a Mac) in the prompt presses Generate, without a server round trip per key.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  if (!event.target.closest || !event.target.closest("[data-generate-shortcut]")) return;
  const button = document.getElementById("generate");
  if (button && !button.disabled) {
    event.preventDefault();
    button.click();
  }
});
