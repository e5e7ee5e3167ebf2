// Keyboard and clipboard conveniences of the studio form, kept in the browser: no server round trip.

// Ctrl+Enter (Cmd+Enter on a Mac) in the prompt submits the form, like pressing Generate.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const field = event.target.closest && event.target.closest("[data-generate-shortcut]");
  if (!field || !field.form) return;
  event.preventDefault();
  field.form.requestSubmit();
});

// Pasted images become reference images, through the same file input as the picker and drop zone.
document.addEventListener("paste", (event) => {
  const images = Array.from(event.clipboardData ? event.clipboardData.files : []).filter((file) =>
    file.type.startsWith("image/"),
  );
  const input = document.querySelector("#references input[type=file]");
  if (!images.length || !input) return;
  event.preventDefault();
  const transfer = new DataTransfer();
  images.forEach((file, index) => {
    const name = file.name && file.name !== "image.png" ? file.name : `pasted-image-${index + 1}.png`;
    transfer.items.add(new File([file], name, { type: file.type }));
  });
  input.files = transfer.files;
  input.dispatchEvent(new Event("change", { bubbles: true }));
});

// Infinite scroll in the gallery and the studio's feed of runs: press "Load more" (or "Load
// earlier runs") whenever it comes into view.
const watchLoadMore = new IntersectionObserver((entries) => {
  entries.forEach((entry) => entry.isIntersecting && entry.target.click());
});
new MutationObserver(() => {
  ["gallery-more", "runs-more"].forEach((id) => {
    const button = document.getElementById(id);
    if (button && !button.dataset.watched) {
      button.dataset.watched = "1";
      watchLoadMore.observe(button);
    }
  });
}).observe(document.documentElement, { childList: true, subtree: true });

// The large view (components/lightbox.py): ←/→ press its arrow buttons, Z its 1:1 switch; "?" opens
// the list of shortcuts. Never while typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const lightbox = document.querySelector("[data-lightbox]");
  const press = (selector) => {
    const button = lightbox && lightbox.querySelector(selector);
    if (!button || button.disabled) return false;
    button.click();
    return true;
  };
  let handled = false;
  if (event.key === "ArrowLeft") handled = press('[data-lightbox-step="-1"]');
  else if (event.key === "ArrowRight") handled = press('[data-lightbox-step="1"]');
  else if (event.key === "z" || event.key === "Z") handled = press("[data-lightbox-zoom]");
  else if (event.key === "?" && !lightbox && !document.querySelector("[role=dialog]")) {
    const button = document.getElementById("shortcuts-button");
    if (button) {
      button.click();
      handled = true;
    }
  }
  if (handled) event.preventDefault();
});

// Compare (components/compare.py): the slider moves the cut between the two images in the browser.
document.addEventListener("input", (event) => {
  const slider = event.target.closest && event.target.closest("[data-compare-slider]");
  const stage = slider && slider.closest("[data-compare]")?.querySelector("[data-compare-stage]");
  if (stage) stage.style.setProperty("--split", `${slider.value}%`);
});

// After Generate (state/studio.py): bring the new run into view, its top first, unless it is in view.
// The run's card may arrive a moment after this call: look for it for up to two seconds.
window.bildgenShowRun = (id, tries = 40) => {
  const run = document.getElementById(id);
  if (!run) {
    if (tries > 0) setTimeout(() => window.bildgenShowRun(id, tries - 1), 50);
    return;
  }
  const box = run.getBoundingClientRect();
  const hiddenBelow = window.innerHeight - 120; // a phone's Generate bar covers the bottom
  if (box.top < 0 || box.top > hiddenBelow) run.scrollIntoView({ block: "start" });
};

// A refused sign-in or sign-up comes back as a new page: the username typed is put back, so only the
// password needs typing again. It is kept in this tab's sessionStorage, never in the address (people
// sometimes type a password into the username field).
document.addEventListener(
  "submit",
  (event) => {
    const field = event.target.elements && event.target.elements.namedItem("username");
    if (field) sessionStorage.setItem("bildgen-username", field.value);
  },
  true,
);
const restoreUsername = () => {
  const field = document.getElementById("username");
  if (!field || field.dataset.restored) return;
  field.dataset.restored = "1";
  const typed = sessionStorage.getItem("bildgen-username");
  sessionStorage.removeItem("bildgen-username");
  if (typed && !field.value && new URLSearchParams(location.search).has("error")) field.value = typed;
};
new MutationObserver(restoreUsername).observe(document.documentElement, { childList: true, subtree: true });
document.addEventListener("DOMContentLoaded", restoreUsername);
