"""Compare: results picked in the studio or the gallery, side by side or two of them under a slider.

The picks stay with the tab across both pages. Each pick is checked to be the user's own image when
it is made; the state holds ids and URLs only. The slider moves in the browser (assets/studio.js).
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from bildgen import routes
from bildgen.generation import uploads
from bildgen.i18n import _
from bildgen.services import get_services
from bildgen.state.guards import checks_inside, public
from bildgen.state.session import SessionState
from bildgen.store.image_library import shown_seed

MAX_PICKED = 6
LABEL_SHOWN = 60
SIDE_BY_SIDE, SLIDER = "side", "slider"


@dataclasses.dataclass
class PickedImage:
    id: str
    image_path: str
    label: str
    seed: int
    # False when the service was sent no seed (GPT-Image): the labels give none.
    seed_sent: bool
    width: int
    height: int


class CompareState(SessionState):
    picked: list[PickedImage] = []
    is_open: bool = False
    mode: str = SIDE_BY_SIDE
    message: str = ""

    @rx.var
    def picked_ids(self) -> list[str]:
        return [item.id for item in self.picked]

    @rx.event
    @checks_inside
    async def toggle_pick(self, image_id: str):
        """Pick one of the user's results for comparison, or put it back."""
        image_id = str(image_id)
        if any(item.id == image_id for item in self.picked):
            self.picked = [item for item in self.picked if item.id != image_id]
            self.message = ""
            return
        user = await self._user()
        if user is None:
            return self._to_sign_in()
        if len(self.picked) >= MAX_PICKED:
            self.message = _("At most {count} images can be compared at once.", count=MAX_PICKED)
            return
        found = await uploads.find_image(get_services(), image_id, user.id)
        if found is None:
            self.message = _("That image does not exist (any more).")
            await self._record_refused(user.id, "image", image_id)
            return
        image, generation = found
        prompt, seed = generation.prompt, shown_seed(image, generation)
        self.picked = [
            *self.picked,
            PickedImage(
                id=image.id,
                image_path=routes.image_upload_path(image.id),
                label=prompt if len(prompt) <= LABEL_SHOWN else prompt[: LABEL_SHOWN - 1] + "…",
                seed=seed or 0,
                seed_sent=seed is not None,
                width=image.width,
                height=image.height,
            ),
        ]
        self.message = ""

    @rx.event
    @public
    def clear(self) -> None:
        self.picked, self.is_open, self.message = [], False, ""

    @rx.event
    @public
    def open_comparison(self) -> None:
        if len(self.picked) >= 2:
            self.is_open = True
            if len(self.picked) != 2:
                self.mode = SIDE_BY_SIDE

    @rx.event
    @public
    def set_open(self, value: bool) -> None:
        self.is_open = bool(value)
        if not self.is_open:
            # The comparison is done: its picks (and the tray that holds them) go with it.
            self.picked, self.message = [], ""

    @rx.event
    @public
    def set_mode(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) and value else value
        if value == SIDE_BY_SIDE or (value == SLIDER and len(self.picked) == 2):
            self.mode = value
