// Ctrl+Enter (Cmd+Enter on a Mac) in the prompt submits the form, like pressing Generate.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const field = event.target.closest && event.target.closest("[data-generate-shortcut]");
  if (!field || !field.form) return;
  event.preventDefault();
  field.form.requestSubmit();
});
