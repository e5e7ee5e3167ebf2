"""Run one generation: its row first, one request per variant concurrently, each result saved whole.

Variants are independent tasks: one failing does not stop the others, and each outcome is ready
the moment its image is saved, so the studio can show it at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from datetime import datetime

import sqlalchemy
from sqlmodel import SQLModel

from bildgen.cpu import in_image_pool
from bildgen.filenames import download_filename
from bildgen.inference.client import ImageRequest, InferenceClient, ServerEndpoint
from bildgen.inference.decoding import DecodedImage
from bildgen.inference.errors import InferenceError
from bildgen.params import EffectiveParameters
from bildgen.store import metadata
from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.models import Generation, GenerationReference, GenerationStatus, Image, utc_now
from bildgen.store.thumbnails import make_thumbnail

logger = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong while generating this image. Nothing was kept; try again."
SAVE_FAILED = "The image arrived but could not be saved. Nothing was kept; try again."


@dataclasses.dataclass(frozen=True)
class Recipe:
    owner_id: str
    prompt: str
    profile_id: str
    parameters: EffectiveParameters
    seeds: list[int]
    # Validated PNG bytes of the reference images; none means text to image.
    references: tuple[bytes, ...] = ()
    # Their ReferenceImage ids, in the same order, for the gallery's lineage.
    reference_ids: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        return "image-to-image" if self.references else "text-to-image"


@dataclasses.dataclass(frozen=True)
class SavedImage:
    id: str
    variant: int
    seed: int
    width: int
    height: int
    filename: str


@dataclasses.dataclass(frozen=True)
class VariantOutcome:
    variant: int
    seed: int
    image: SavedImage | None = None
    error: str | None = None


@dataclasses.dataclass
class RunningGeneration:
    generation_id: str
    served_model: str
    variants: list[asyncio.Task[VariantOutcome]]
    finished: asyncio.Task[str]

    def cancel(self) -> None:
        """Stop what is outstanding: cancelling a task closes its HTTP request to the server."""
        for task in self.variants:
            task.cancel()


class Generator:
    def __init__(self, engine: sqlalchemy.Engine, files: ImageFiles, thumbnails: ImageFiles) -> None:
        self.engine = engine
        self.files = files
        self.thumbnails = thumbnails

    async def start(self, recipe: Recipe, endpoint: ServerEndpoint) -> RunningGeneration:
        """Raises InferenceError when the server cannot even name its model; then nothing is stored."""
        client = InferenceClient(endpoint)
        try:
            served = await client.served_model()
        except BaseException:
            await client.close()
            raise
        generation = Generation(
            owner_id=recipe.owner_id,
            prompt=recipe.prompt,
            negative_prompt=recipe.parameters.negative_prompt,
            mode=recipe.mode,
            reference_count=len(recipe.references),
            model_profile=recipe.profile_id,
            # A server that lists no model is named by its profile in the gallery and filenames.
            served_model=served.id or recipe.profile_id,
            width=recipe.parameters.width,
            height=recipe.parameters.height,
            steps=recipe.parameters.steps,
            guidance=recipe.parameters.guidance,
            guidance_field=recipe.parameters.guidance_field,
            variant_count=len(recipe.seeds),
        )
        links = [
            GenerationReference(generation_id=generation.id, position=position, reference_id=reference_id)
            for position, reference_id in enumerate(recipe.reference_ids)
        ]
        await asyncio.to_thread(self._insert, generation, *links)
        thumbnails: list[asyncio.Task[None]] = []
        variants = [
            asyncio.create_task(self._variant(client, generation, served.id, variant, seed, recipe, thumbnails))
            for variant, seed in enumerate(recipe.seeds)
        ]
        finished = asyncio.create_task(self._finish(client, generation.id, variants, thumbnails))
        return RunningGeneration(generation.id, served.id, variants, finished)

    async def _variant(
        self,
        client: InferenceClient,
        generation: Generation,
        served_model: str | None,
        variant: int,
        seed: int,
        recipe: Recipe,
        thumbnails: list[asyncio.Task[None]],
    ) -> VariantOutcome:
        request = ImageRequest(
            prompt=recipe.prompt,
            width=recipe.parameters.width,
            height=recipe.parameters.height,
            seed=seed,
            diffusion_fields=recipe.parameters.diffusion_fields(),
            references=recipe.references,
        )
        started = time.monotonic()
        try:
            decoded = await client.generate(request, model=served_model)
        except InferenceError as error:
            return VariantOutcome(variant, seed, error=error.user_message)
        except Exception:
            logger.exception("variant %s of generation %s failed unexpectedly", variant, generation.id)
            return VariantOutcome(variant, seed, error=UNEXPECTED)
        try:
            image, sha256, png = await in_image_pool(self._save, generation, variant, seed, decoded, started)
        except Exception:
            logger.exception("saving variant %s of generation %s failed", variant, generation.id)
            return VariantOutcome(variant, seed, error=SAVE_FAILED)
        # The thumbnail is for the gallery: made right after, so the studio shows the image sooner.
        thumbnails.append(asyncio.create_task(in_image_pool(self.thumbnail, sha256, png)))
        return VariantOutcome(variant, seed, image=image)

    def thumbnail(self, sha256: str, png: bytes | None = None) -> None:
        """Make the image's thumbnail (again, if a crash lost it); errors only cost the thumbnail."""
        try:
            self.thumbnails.save_as(sha256, make_thumbnail(png or self.files.path_for(sha256).read_bytes()))
        except Exception:
            logger.exception("making the thumbnail of %s failed", sha256)

    def _insert(self, *rows: SQLModel) -> None:
        with session(self.engine) as db:
            db.add_all(rows)
            db.commit()

    def _save(
        self, generation: Generation, variant: int, seed: int, decoded: DecodedImage, started: float
    ) -> tuple[SavedImage, str, bytes]:
        # The server's PNG keeps its pixel data; the recipe goes in as text chunks.
        png = metadata.embed(decoded.png, stored_recipe(generation, seed))
        # The file is complete on disk before the row that points at it exists.
        sha256 = self.files.save(png)
        row = Image(
            owner_id=generation.owner_id,
            generation_id=generation.id,
            variant=variant,
            seed=seed,
            width=decoded.width,
            height=decoded.height,
            sha256=sha256,
            generation_ms=int((time.monotonic() - started) * 1000),
        )
        self._insert(row)
        return saved_image(row, generation), sha256, png

    async def _finish(
        self,
        client: InferenceClient,
        generation_id: str,
        variants: list[asyncio.Task[VariantOutcome]],
        thumbnails: list[asyncio.Task[None]],
    ) -> str:
        try:
            outcomes = await asyncio.gather(*variants, return_exceptions=True)
        finally:
            await client.close()
        await asyncio.gather(*thumbnails, return_exceptions=True)
        saved = [o for o in outcomes if isinstance(o, VariantOutcome) and o.image]
        errors = [o.error for o in outcomes if isinstance(o, VariantOutcome) and o.error]
        cancelled = any(isinstance(o, asyncio.CancelledError) for o in outcomes)
        if len(saved) == len(outcomes):
            status = GenerationStatus.DONE
        elif saved:
            status = GenerationStatus.PARTIAL
        else:
            status = GenerationStatus.CANCELLED if cancelled else GenerationStatus.FAILED
        await asyncio.to_thread(self._mark_finished, generation_id, status, errors[0] if errors else None)
        return status

    def _mark_finished(self, generation_id: str, status: str, error: str | None) -> None:
        with session(self.engine) as db:
            row = db.get(Generation, generation_id)
            if row is not None:
                row.status, row.error, row.finished_at = status, error, utc_now()
                db.add(row)
                db.commit()


def stored_recipe(generation: Generation, seed: int) -> metadata.StoredRecipe:
    return metadata.StoredRecipe(
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        steps=generation.steps,
        guidance=generation.guidance,
        guidance_field=generation.guidance_field,
        seed=seed,
        width=generation.width,
        height=generation.height,
        model=generation.served_model,
        model_profile=generation.model_profile,
        mode=generation.mode,
        reference_count=generation.reference_count,
    )


def saved_image(image: Image, generation: Generation) -> SavedImage:
    created: datetime = image.created_at
    return SavedImage(
        id=image.id,
        variant=image.variant,
        seed=image.seed,
        width=image.width,
        height=image.height,
        filename=download_filename(
            created=created, prompt=generation.prompt, seed=image.seed, model_id=generation.served_model
        ),
    )
