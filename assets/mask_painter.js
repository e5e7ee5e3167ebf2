// The mask painter: paint on a reference image the area the model may change (white = change).
//
// It runs in the browser alone: the finished mask is posted as a PNG to bildgen's own HTTP route
// (the same owner checks as every image), and the studio learns only the id the route answers,
// never image bytes through the websocket. Opened by the studio with
//   window.bildgenMaskPainter.open({image, upload, mask, texts})
// whose promise gives {id} once a mask is saved, or null when the painter is closed without one;
// `texts` are its words in the reader's language (components/references.py).
(() => {
  // Painting resolution: the server scales the mask to the reference's exact size.
  const MAX_SIDE = 1024;
  const UNDO_STEPS = 20;
  const STROKE = "rgb(255, 45, 117)";
  const STYLE = `
.bildgen-mask-backdrop { position: fixed; inset: 0; z-index: 1000; display: flex; align-items: center;
  justify-content: center; background: rgba(0, 0, 0, 0.6); }
.bildgen-mask-dialog { display: flex; flex-direction: column; gap: 10px; max-width: min(96vw, 1100px);
  max-height: 96vh; padding: 16px; border-radius: var(--radius-4, 8px); color: var(--gray-12, #111);
  background: var(--color-panel-solid, #fff); box-shadow: 0 12px 40px rgba(0, 0, 0, 0.35);
  font-family: var(--default-font-family, system-ui, sans-serif); font-size: 14px; }
.bildgen-mask-dialog h2 { margin: 0; font-size: 18px; }
.bildgen-mask-dialog p { margin: 0; color: var(--gray-11, #555); }
.bildgen-mask-toolbar, .bildgen-mask-actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.bildgen-mask-actions { justify-content: flex-end; }
.bildgen-mask-dialog button { font: inherit; padding: 6px 12px; border-radius: var(--radius-2, 4px); cursor: pointer;
  border: 1px solid var(--gray-7, #bbb); background: var(--gray-2, #f6f6f6); color: inherit; }
.bildgen-mask-dialog button[aria-pressed="true"], .bildgen-mask-dialog button.primary {
  background: var(--accent-9, #3e63dd); border-color: var(--accent-9, #3e63dd); color: var(--accent-contrast, #fff); }
.bildgen-mask-dialog button:focus-visible, .bildgen-mask-dialog input:focus-visible {
  outline: 2px solid var(--accent-8, #3e63dd); outline-offset: 2px; }
.bildgen-mask-stage { position: relative; align-self: center; line-height: 0; touch-action: none; cursor: none; }
.bildgen-mask-stage img { display: block; max-width: min(92vw, 1060px); max-height: 64vh; user-select: none; }
.bildgen-mask-stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; opacity: 0.6; }
.bildgen-mask-cursor { position: absolute; border: 2px solid #fff; outline: 1px solid #000; border-radius: 50%;
  pointer-events: none; transform: translate(-50%, -50%); display: none; }
.bildgen-mask-message { color: var(--red-11, #c00) !important; min-height: 1.2em; }
`;

  let openPainter = null; // one at a time

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error(url));
      image.src = url;
    });
  }

  function blobOf(canvas) {
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }

  function canvasOf(width, height) {
    return Object.assign(document.createElement("canvas"), { width, height });
  }

  async function open({ image, upload, mask, texts }) {
    if (openPainter) openPainter.close(null);
    if (!document.getElementById("bildgen-mask-style")) {
      document.head.append(element("style", { id: "bildgen-mask-style", text: STYLE }));
    }
    return new Promise((resolve) => {
      openPainter = new Painter({ image, upload, mask, texts }, resolve);
    });
  }

  class Painter {
    constructor({ image, upload, mask, texts }, resolve) {
      this.upload = upload;
      this.texts = texts;
      this.resolve = resolve;
      this.returnFocus = document.activeElement;
      this.tool = "brush";
      this.undoStack = [];
      this.drawing = false;
      this.build();
      this.load(image, mask);
    }

    build() {
      const words = this.texts;
      const button = (text, attributes = {}) => element("button", { type: "button", ...attributes, text });
      this.brushButton = button(words.brush, { "aria-pressed": "true", title: words.brushTip });
      this.eraserButton = button(words.eraser, { "aria-pressed": "false", title: words.eraserTip });
      this.size = element("input", { type: "range", min: "4", max: "240", value: "48", id: "bildgen-mask-size" });
      const sizeLabel = element("label", { for: "bildgen-mask-size", text: words.size });
      const undo = button(words.undo, { title: words.undoTip });
      const invert = button(words.invert, { title: words.invertTip });
      const clear = button(words.clear, { title: words.clearTip });
      this.picture = element("img", { alt: words.picture, draggable: "false" });
      this.canvas = element("canvas", { "aria-label": words.canvas });
      this.cursor = element("div", { class: "bildgen-mask-cursor" });
      this.stage = element("div", { class: "bildgen-mask-stage" }, this.picture, this.canvas, this.cursor);
      this.message = element("p", { class: "bildgen-mask-message", role: "alert" });
      const cancel = button(words.cancel);
      this.saveButton = button(words.save, { class: "primary" });
      this.dialog = element(
        "div",
        { class: "bildgen-mask-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "bildgen-mask-title" },
        element("h2", { id: "bildgen-mask-title", text: words.title }),
        element("p", { text: words.help }),
        element("div", { class: "bildgen-mask-toolbar" }, this.brushButton, this.eraserButton, sizeLabel, this.size,
          undo, invert, clear),
        this.stage,
        this.message,
        element("div", { class: "bildgen-mask-actions" }, cancel, this.saveButton),
      );
      this.backdrop = element("div", { class: "bildgen-mask-backdrop" }, this.dialog);
      document.body.append(this.backdrop);

      this.brushButton.addEventListener("click", () => this.choose("brush"));
      this.eraserButton.addEventListener("click", () => this.choose("eraser"));
      undo.addEventListener("click", () => this.undo());
      invert.addEventListener("click", () => this.invert());
      clear.addEventListener("click", () => this.clear());
      cancel.addEventListener("click", () => this.close(null));
      this.saveButton.addEventListener("click", () => this.save());
      this.canvas.addEventListener("pointerdown", (event) => this.strokeStart(event));
      this.canvas.addEventListener("pointermove", (event) => this.strokeMove(event));
      this.canvas.addEventListener("pointerup", () => (this.drawing = false));
      this.canvas.addEventListener("pointercancel", () => (this.drawing = false));
      this.canvas.addEventListener("pointerleave", () => (this.cursor.style.display = "none"));
      this.onKey = (event) => this.key(event);
      document.addEventListener("keydown", this.onKey, true);
      this.brushButton.focus();
    }

    async load(imageUrl, maskUrl) {
      try {
        const picture = await loadImage(imageUrl);
        this.picture.src = picture.src;
        const scale = Math.min(1, MAX_SIDE / Math.max(picture.naturalWidth, picture.naturalHeight));
        this.canvas.width = Math.max(1, Math.round(picture.naturalWidth * scale));
        this.canvas.height = Math.max(1, Math.round(picture.naturalHeight * scale));
        this.context = this.canvas.getContext("2d", { willReadFrequently: true });
        if (maskUrl) this.paintStored(await loadImage(maskUrl));
      } catch {
        this.message.textContent = this.texts.unloadable;
      }
    }

    paintStored(stored) {
      // A stored mask is white on black: its brightness becomes the painted strokes' opacity.
      const { width, height } = this.canvas;
      const scratch = canvasOf(width, height).getContext("2d", { willReadFrequently: true });
      scratch.drawImage(stored, 0, 0, width, height);
      const pixels = scratch.getImageData(0, 0, width, height);
      const [red, green, blue] = STROKE.match(/\d+/g).map(Number);
      for (let index = 0; index < pixels.data.length; index += 4) {
        const alpha = pixels.data[index];
        pixels.data.set([red, green, blue, alpha], index);
      }
      this.context.putImageData(pixels, 0, 0);
    }

    choose(tool) {
      this.tool = tool;
      this.brushButton.setAttribute("aria-pressed", String(tool === "brush"));
      this.eraserButton.setAttribute("aria-pressed", String(tool === "eraser"));
    }

    remember() {
      if (!this.context) return;
      this.undoStack.push(this.context.getImageData(0, 0, this.canvas.width, this.canvas.height));
      if (this.undoStack.length > UNDO_STEPS) this.undoStack.shift();
    }

    undo() {
      const previous = this.undoStack.pop();
      if (previous) this.context.putImageData(previous, 0, 0);
    }

    clear() {
      if (!this.context) return;
      this.remember();
      this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    }

    invert() {
      if (!this.context) return;
      this.remember();
      const { width, height } = this.canvas;
      const before = canvasOf(width, height);
      before.getContext("2d").drawImage(this.canvas, 0, 0);
      const context = this.context;
      context.save();
      context.globalCompositeOperation = "source-over";
      context.clearRect(0, 0, width, height);
      context.fillStyle = STROKE;
      context.fillRect(0, 0, width, height);
      context.globalCompositeOperation = "destination-out";
      context.drawImage(before, 0, 0);
      context.restore();
    }

    point(event) {
      const box = this.canvas.getBoundingClientRect();
      const scale = this.canvas.width / box.width;
      return { x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale, scale, box };
    }

    showCursor(event) {
      const { box, scale } = this.point(event);
      const diameter = Number(this.size.value) / scale;
      Object.assign(this.cursor.style, {
        display: "block",
        left: `${event.clientX - box.left}px`,
        top: `${event.clientY - box.top}px`,
        width: `${diameter}px`,
        height: `${diameter}px`,
      });
    }

    strokeStart(event) {
      if (!this.context) return;
      event.preventDefault();
      this.canvas.setPointerCapture(event.pointerId);
      this.remember();
      this.drawing = true;
      this.last = this.point(event);
      this.line(this.last, this.last);
    }

    strokeMove(event) {
      this.showCursor(event);
      if (!this.drawing) return;
      const next = this.point(event);
      this.line(this.last, next);
      this.last = next;
    }

    line(from, to) {
      const context = this.context;
      context.save();
      context.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
      context.strokeStyle = STROKE;
      context.lineWidth = Number(this.size.value);
      context.lineCap = context.lineJoin = "round";
      context.beginPath();
      context.moveTo(from.x, from.y);
      context.lineTo(to.x, to.y);
      context.stroke();
      context.restore();
    }

    painted() {
      const { data } = this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
      for (let index = 3; index < data.length; index += 4) if (data[index] >= 128) return true;
      return false;
    }

    async save() {
      if (!this.context) return;
      if (!this.painted()) {
        this.message.textContent = this.texts.empty;
        return;
      }
      // White where painted, black elsewhere, whatever colour the strokes are shown in.
      const { width, height } = this.canvas;
      const white = canvasOf(width, height);
      const whiteContext = white.getContext("2d");
      whiteContext.drawImage(this.canvas, 0, 0);
      whiteContext.globalCompositeOperation = "source-in";
      whiteContext.fillStyle = "#fff";
      whiteContext.fillRect(0, 0, width, height);
      const mask = canvasOf(width, height);
      const maskContext = mask.getContext("2d");
      maskContext.fillStyle = "#000";
      maskContext.fillRect(0, 0, width, height);
      maskContext.drawImage(white, 0, 0);

      this.saveButton.disabled = true;
      this.message.textContent = "";
      try {
        const response = await fetch(this.upload, {
          method: "POST",
          body: await blobOf(mask),
          headers: { "Content-Type": "image/png" },
          credentials: "same-origin",
        });
        const answer = await response.json().catch(() => ({}));
        if (response.ok && typeof answer.id === "string") {
          this.close({ id: answer.id });
          return;
        }
        this.message.textContent = answer.error || (response.status === 404 ? this.texts.gone : this.texts.failed);
      } catch {
        this.message.textContent = this.texts.offline;
      } finally {
        this.saveButton.disabled = false;
      }
    }

    key(event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.close(null);
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        this.undo();
      } else if (event.key === "[" || event.key === "]") {
        const step = event.key === "]" ? 8 : -8;
        this.size.value = String(Number(this.size.value) + step);
      } else if (event.key.toLowerCase() === "b" && event.target.tagName !== "INPUT") {
        this.choose("brush");
      } else if (event.key.toLowerCase() === "e" && event.target.tagName !== "INPUT") {
        this.choose("eraser");
      } else if (event.key === "Tab") {
        this.keepFocusInside(event);
      }
    }

    keepFocusInside(event) {
      const focusable = [...this.dialog.querySelectorAll("button, input")].filter((node) => !node.disabled);
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }

    close(result) {
      document.removeEventListener("keydown", this.onKey, true);
      this.backdrop.remove();
      if (openPainter === this) openPainter = null;
      if (this.returnFocus && this.returnFocus.focus) this.returnFocus.focus();
      this.resolve(result);
    }
  }

  window.bildgenMaskPainter = { open };
})();
