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
from bildgen.boards import core as boards
from bildgen.boards import sharing
from bildgen.cpu import in_image_pool
from bildgen.i18n import N_, _
from bildgen.inference.capabilities import describe_options
from bildgen.params import guidance_label_of
from bildgen.prompts.elements import RecipeExtras
from bildgen.provenance import settings as provenance_settings
from bildgen.provenance import verify as provenance
from bildgen.services import get_services
from bildgen.state.boards import BoardsState
from bildgen.state.gallery import GalleryState
from bildgen.state.guards import checks_inside, public, signed_in
from bildgen.state.session import SessionState
from bildgen.state.studio import StudioState
from bildgen.store import gallery
from bildgen.store.db import StorageUnavailable
from bildgen.store.image_library import saved_image, stored_recipe
from bildgen.store.models import User

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
    # Steps, guidance and seed as the service was sent them: "" where it was sent none (GPT-Image).
    steps: str = ""
    # What this model calls its guidance ("Guidance", "CFG scale"), and the value.
    guidance_label: str = ""
    guidance: str = ""
    seed: str = ""
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
    # Its Content Credentials, checked when shown: "valid, signed by …, made with …" or what is wrong.
    credentials: str = ""
    # The references' credentials where an upload carries (or lost) some: "name: valid, signed by …".
    reference_credentials: list[str] = dataclasses.field(default_factory=list)


MODE_NAMES = {
    "text-to-image": N_("Text to image"),
    "image-to-image": N_("Image to image"),
    "upscale": N_("Upscale"),
    "creative-upscale": N_("Creative upscale (re-rendered)"),
    "expand": N_("Expand"),
}


def _lineage(image, seed: int | None) -> LineageCard:
    # Named by its seed where one was sent, else by its place in its run.
    label = _("image {number}", number=image.variant + 1) if seed is None else _("seed {seed}", seed=seed)
    return LineageCard(id=image.id, thumbnail_path=routes.thumbnail_upload_path(image.id), label=label)


def detail_view(found: gallery.Details, language: str) -> DetailView:
    image, generation = found.image, found.generation
    recipe = stored_recipe(generation, image.seed)
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
        steps="" if recipe.steps is None else str(recipe.steps),
        guidance_label=_(guidance_label_of(recipe.guidance_field or generation.guidance_field)),
        guidance="" if recipe.guidance is None else i18n.format_number(recipe.guidance, language),
        seed="" if recipe.seed is None else str(recipe.seed),
        created=i18n.format_datetime(image.created_at, language, format="short"),
        took=(
            _("{seconds} s", seconds=i18n.format_number(round(image.generation_ms / 1000, 1), language))
            if image.generation_ms is not None
            else ""
        ),
        favourite=image.favourite,
        made_from=[_lineage(source, found.lineage_seeds.get(source.id)) for source in found.made_from],
        made_into=[_lineage(child, found.lineage_seeds.get(child.id)) for child in found.made_into],
        reference_names=[reference.name for reference in found.references],
        mask_path=routes.mask_upload_path(generation.mask_id) if generation.mask_id else "",
        options=" · ".join(describe_options(recipe.options or {})),
        recipe_notes=RecipeExtras.decode(generation.recipe_extras).describe(),
        batch_id=generation.batch_id or "",
    )


def _credentials(found: gallery.Details) -> tuple[str, list[str]]:
    """Blocking (reads and hashes the file): the image's credentials and its references' in words."""
    own = provenance.describe(provenance.verify_file(get_services().files.path_for(found.image.sha256)))
    # The references were checked when uploaded (cleaning them dropped their credentials).
    references = [
        f"{reference.name}: {provenance.describe(provenance.Verdict.from_json(reference.credentials))}"
        for reference in found.references
        if reference.credentials
    ]
    return own, references


def _shared_details(viewer_id: str, image_id: str, address: str) -> tuple[gallery.Details, str] | None:
    """Someone else's image on a board shared with the viewer, and its owner's name; the view is audited.
    Their references and lineage stay theirs: only the image and its recipe are shown."""
    engine = get_services().engine
    found = sharing.viewable_image(engine, viewer_id, image_id)
    if found is None:
        return None
    image, generation = found
    sharing.record_foreign_view(engine, viewer_id, image, address)
    return gallery.Details(image, generation, [], [], []), sharing.username_of(engine, image.owner_id)


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
    # The administrator lets people download images without metadata (each download is audited).
    plain_download: bool = False
    message: str = ""
    # Someone else's image, opened from a board they share: whose it is (read-only then), else "".
    shared_by: str = ""
    # The boards the image shown is in (the gallery's board picker in the lightbox).
    image_boards: list[str] = []

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
        shared_by = ""
        if found is None:  # someone else's, on a board shared with the user: read-only
            shared = await asyncio.to_thread(_shared_details, owner_id, image_id, self._client_address())
            if shared is not None:
                found, shared_by = shared
        if found is None:
            self.message = _("That image does not exist (any more).")
            await self._record_refused(owner_id, "image", image_id)
            return False
        detail = detail_view(found, self.lang)
        detail.credentials, detail.reference_credentials = await in_image_pool(_credentials, found)
        settings = await asyncio.to_thread(provenance_settings.read, get_services().engine)
        self.detail, self.plain_download = detail, settings.allow_plain_download
        self.shared_by = shared_by
        self.image_boards = (
            await asyncio.to_thread(boards.boards_of_image, get_services().engine, owner_id, image_id)
            if not shared_by
            else []
        )
        self.prompt_expanded, self.message = False, ""
        return True

    @rx.event
    @signed_in
    async def toggle_image_board(self, user: User, board_id: str, checked: bool):
        """The lightbox's board picker: the image shown into or out of one of the user's boards."""
        board_id, image_id = str(board_id), self.detail.id
        wanted = {*self.image_boards, board_id} if checked is True else set(self.image_boards) - {board_id}
        try:
            changed = await asyncio.to_thread(boards.set_image_boards, get_services().engine, user.id, image_id, wanted)
        except StorageUnavailable as unavailable:
            self.message = unavailable.user_message
            return
        if not changed:
            self.message = _("That image does not exist (any more).")
            return
        self.image_boards = await asyncio.to_thread(boards.boards_of_image, get_services().engine, user.id, image_id)
        await (await self.get_state(BoardsState))._refresh(user.id)

    @rx.event
    @signed_in
    async def open_image(self, user: User, image_id: str, sequence: list[str]):
        """Show one image; ←/→ then move through `sequence` (ids, each checked when shown)."""
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
    @public
    def open_from_query(self):
        """/gallery?image=<id>: a link to one image (from a batch's page)."""
        self.is_open, self.message = False, ""
        image_id = self.router.url.query_parameters.get("image")
        if image_id:
            return LightboxState.open_image(image_id, [image_id])

    @rx.event
    @signed_in
    async def step(self, user: User, delta: int):
        """←/→: the previous or next image of the run or gallery."""
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
    @public
    def set_open(self, value: bool) -> None:
        self.is_open = bool(value)

    @rx.event
    @public
    def toggle_actual_size(self) -> None:
        self.actual_size = not self.actual_size

    @rx.event
    @public
    def toggle_prompt(self) -> None:
        self.prompt_expanded = not self.prompt_expanded

    # ---- actions on the image shown -------------------------------------------------------------

    @rx.event
    @signed_in
    async def toggle_favourite(self, user: User):
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
    @signed_in
    async def delete(self, user: User):
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
    @checks_inside
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
    @checks_inside
    async def use_as_reference(self):
        user, studio = await self._studio_for_user()
        if user is None:
            return self._to_sign_in()
        await studio._use_image_as_reference(user.id, self.detail.id)
        return self._back_to_studio()

    @rx.event
    @checks_inside
    async def reuse_seed(self):
        user, studio = await self._studio_for_user()
        if user is None:
            return self._to_sign_in()
        if not self.detail.seed:
            return None  # the service was sent no seed: there is none to reuse (the button is not shown)
        studio._reuse_seed(int(self.detail.seed))
        return self._back_to_studio()
