"""The lightbox: one of the user's images large, in the studio or the gallery, with its recipe and
every action, and ←/→ through the run or the gallery it was opened from.

It holds ids and URLs only. Every action works on the image shown, whose ownership was checked when
it was loaded, and checks it again; the browser never names an owner or a path.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from bildgen import i18n, routes
from bildgen.i18n import N_, _
from bildgen.inference.capabilities import describe_options
from bildgen.params import guidance_label_of
from bildgen.prompts.elements import RecipeExtras
from bildgen.services import get_services
from bildgen.state.gallery import GalleryState
from bildgen.state.session import SessionState
from bildgen.state.studio import StudioState
from bildgen.store import gallery
from bildgen.store.db import StorageUnavailable
from bildgen.store.image_library import saved_image, stored_recipe

# Longer prompts are clamped to a few lines, with "Show more" (issue 15, bug 5).
PROMPT_CLAMPED = 240
# ←/→ move through at most this many images (a gallery window or a run).
MAX_SEQUENCE = 500


@dataclasses.dataclass
class LineageCard:
    id: str
    thumbnail_path: str
    label: str


@dataclasses.dataclass
class DetailView:
    id: str = ""
    image_path: str = ""
    filename: str = ""
    prompt: str = ""
    long_prompt: bool = False
    negative_prompt: str = ""
    model: str = ""
    # The id the service knows the model by: shown here only.
    served_as: str = ""
    mode: str = ""
    size: str = ""
    steps: int = 0
    # What this model calls its guidance ("Guidance", "CFG scale"), and the value.
    guidance_label: str = ""
    guidance: str = ""
    seed: int = 0
    created: str = ""
    took: str = ""
    favourite: bool = False
    made_from: list[LineageCard] = dataclasses.field(default_factory=list)
    made_into: list[LineageCard] = dataclasses.field(default_factory=list)
    reference_names: list[str] = dataclasses.field(default_factory=list)
    # The mask painted on the first reference: only that area was to change.
    mask_path: str = ""
    # The service's own options it was made with ("Quality high · Prompt upsampling"), in the form's words.
    options: str = ""
    # Prompt help's part of the recipe: the prompt before Improve, the context elements.
    recipe_notes: list[str] = dataclasses.field(default_factory=list)
    batch_id: str = ""  # the batch it was made in (bildgen.batches), if any


MODE_NAMES = {
    "text-to-image": N_("Text to image"),
    "image-to-image": N_("Image to image"),
    "upscale": N_("Upscale"),
    "creative-upscale": N_("Creative upscale (re-rendered)"),
    "expand": N_("Expand"),
}


def _lineage(image) -> LineageCard:
    return LineageCard(
        id=image.id, thumbnail_path=routes.thumbnail_upload_path(image.id), label=_("seed {seed}", seed=image.seed)
    )


def detail_view(found: gallery.Details, language: str) -> DetailView:
    image, generation = found.image, found.generation
    return DetailView(
        id=image.id,
        image_path=routes.image_upload_path(image.id),
        filename=saved_image(image, generation).filename,
        prompt=generation.prompt,
        long_prompt=len(generation.prompt) > PROMPT_CLAMPED,
        negative_prompt=(generation.negative_prompt or "").strip(),
        model=generation.model_name,
        served_as=generation.served_model if generation.served_model != generation.model_name else "",
        mode=_(MODE_NAMES.get(generation.mode, MODE_NAMES["text-to-image"])),
        size=f"{image.width} × {image.height}",
        steps=generation.steps,
        guidance_label=_(guidance_label_of(generation.guidance_field)),
        guidance=i18n.format_number(generation.guidance, language),
        seed=image.seed,
        created=i18n.format_datetime(image.created_at, language, format="short"),
        took=(
            _("{seconds} s", seconds=i18n.format_number(round(image.generation_ms / 1000, 1), language))
            if image.generation_ms is not None
            else ""
        ),
        favourite=image.favourite,
        made_from=[_lineage(source) for source in found.made_from],
        made_into=[_lineage(child) for child in found.made_into],
        reference_names=[reference.name for reference in found.references],
        mask_path=routes.mask_upload_path(generation.mask_id) if generation.mask_id else "",
        options=" · ".join(describe_options(stored_recipe(generation, image.seed).options or {})),
        recipe_notes=RecipeExtras.decode(generation.recipe_extras).describe(),
        batch_id=generation.batch_id or "",
    )


class LightboxState(SessionState):
    is_open: bool = False
    detail: DetailView = DetailView()
    # The images ←/→ move through (the run or the gallery's loaded window) and where this one is.
    sequence: list[str] = []
    position: int = 0
    # 1:1 pixels instead of fitting the window.
    actual_size: bool = False
    prompt_expanded: bool = False
    # Opened in the gallery: Favourite and Delete are offered there.
    in_gallery: bool = False
    message: str = ""

    @rx.var
    def has_previous(self) -> bool:
        return self.position > 0

    @rx.var
    def has_next(self) -> bool:
        return self.position < len(self.sequence) - 1

    @rx.var
    def position_label(self) -> str:
        return f"{self.position + 1} / {len(self.sequence)}" if len(self.sequence) > 1 else ""

    async def _load(self, owner_id: str, image_id: str) -> bool:
        found = await asyncio.to_thread(gallery.details, get_services().engine, owner_id, image_id)
        if found is None:
            self.message = _("That image does not exist (any more).")
            await self._record_refused(owner_id, "image", image_id)
            return False
        self.detail = detail_view(found, self.lang)
        self.prompt_expanded, self.message = False, ""
        return True

    @rx.event
    async def open_image(self, image_id: str, sequence: list[str]):
        """Show one image; ←/→ then move through `sequence` (ids, each checked when shown)."""
        user = await self._user()
        if user is None:
            return self._to_sign_in()
        image_id = str(image_id)
        ids = [str(item) for item in sequence][:MAX_SEQUENCE] if isinstance(sequence, list) else []
        if image_id not in ids:
            ids = [image_id]
        self.in_gallery = self.router.url.path.rstrip("/") == routes.GALLERY
        if not await self._load(user.id, image_id):
            self.is_open = False
            return
        self.sequence, self.position = ids, ids.index(image_id)
        self.actual_size, self.is_open = False, True

    @rx.event
    def open_from_query(self):
        """/gallery?image=<id>: a link to one image (from a batch's page)."""
        self.is_open, self.message = False, ""
        image_id = self.router.url.query_parameters.get("image")
        if image_id:
            return LightboxState.open_image(image_id, [image_id])

    @rx.event
    async def step(self, delta: int):
        """←/→: the previous or next image of the run or gallery."""
        user = await self._user()
        if user is None:
            return self._to_sign_in()
        target = self.position + (1 if delta == 1 else -1 if delta == -1 else 0)
        if not self.is_open or target == self.position or not 0 <= target < len(self.sequence):
            return
        if await self._load(user.id, self.sequence[target]):
            self.position = target
        else:
            # Gone since the page was loaded (deleted in another tab): leave it out of the walk.
            self.sequence = [item for index, item in enumerate(self.sequence) if index != target]
            self.position = min(self.position, max(len(self.sequence) - 1, 0))

    @rx.event
    def set_open(self, value: bool) -> None:
        self.is_open = bool(value)

    @rx.event
    def toggle_actual_size(self) -> None:
        self.actual_size = not self.actual_size

    @rx.event
    def toggle_prompt(self) -> None:
        self.prompt_expanded = not self.prompt_expanded

    # ---- actions on the image shown -------------------------------------------------------------

    @rx.event
    async def toggle_favourite(self):
        user = await self._user()
        if user is None:
            return self._to_sign_in()
        image_id, favourite = self.detail.id, not self.detail.favourite
        try:
            found = await asyncio.to_thread(gallery.set_favourite, get_services().engine, user.id, image_id, favourite)
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        if not found:
            self.message = _("That image does not exist (any more).")
            return
        self.detail = dataclasses.replace(self.detail, favourite=favourite)
        (await self.get_state(GalleryState))._mark_favourite(image_id, favourite)

    @rx.event
    async def delete(self):
        user = await self._user()
        if user is None:
            return self._to_sign_in()
        image_id, services = self.detail.id, get_services()
        try:
            await asyncio.to_thread(
                gallery.delete_image,
                services.engine,
                user.id,
                image_id,
                files=services.files,
                thumbnails=services.thumbnails,
            )
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        self.is_open = False
        self.sequence = [item for item in self.sequence if item != image_id]
        (await self.get_state(GalleryState))._forget(image_id, _("Image deleted."))

    async def _studio_for_user(self):
        user = await self._user()
        if user is None:
            return None, None
        studio = await self.get_state(StudioState)
        studio._ensure_ready(user)
        return user, studio

    def _back_to_studio(self):
        """Done in the studio's form: there it is in view once the lightbox closes; from the
        gallery, the studio opens."""
        self.is_open = False
        return None if not self.in_gallery else rx.redirect(routes.STUDIO)

    @rx.event
    async def reproduce(self):
        """Every parameter of this image back into the studio's form, its seed kept."""
        user, studio = await self._studio_for_user()
        if user is None:
            return self._to_sign_in()
        if not await studio._reproduce(user.id, self.detail.id):
            self.message = _("That image does not exist (any more).")
            return
        return self._back_to_studio()

    @rx.event
    async def use_as_reference(self):
        user, studio = await self._studio_for_user()
        if user is None:
            return self._to_sign_in()
        await studio._use_image_as_reference(user.id, self.detail.id)
        return self._back_to_studio()

    @rx.event
    async def reuse_seed(self):
        user, studio = await self._studio_for_user()
        if user is None:
            return self._to_sign_in()
        studio._reuse_seed(self.detail.seed)
        return self._back_to_studio()
