"""The use cases behind every front: what a plan sends along, and submit's and the uploads' checks,
against a real database and data folder."""

import asyncio
import io

import pytest
from PIL import Image
from sqlmodel import select

from bildgen.api.errors import api_error
from bildgen.generation import uploads
from bildgen.generation.plan import PlanInput, plan
from bildgen.generation.submit import submit
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.refusal import Refusal
from bildgen.store.db import session
from bildgen.store.models import Generation, ReferenceImage
from bildgen.store.references import ReferenceRejected
from tests.unit.conftest import make_user

URL = "http://127.0.0.1:9/v1"
CATALOG = Catalog(
    default_model="qwen",
    models={
        "qwen": ModelProfile(id="qwen", label="Qwen-Image", base_url=URL, family="qwen-image", edit_with="edit"),
        "edit": ModelProfile(id="edit", label="Qwen-Image-Edit", base_url=URL, family="qwen-image-edit"),
        "gpt-image": ModelProfile(id="gpt-image", label="GPT Image", base_url=URL, provider="openai"),
    },
)


def png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def test_a_context_elements_image_does_not_make_a_cloud_text_to_image_run_an_edit():
    planned = plan(CATALOG, PlanInput(model="gpt-image", prompt="a fox", element_references=1))
    assert planned.sends_element_images is False
    # With a reference of the form's own the run is an edit the form shows: the element's image joins it.
    edited = plan(CATALOG, PlanInput(model="gpt-image", prompt="a fox", references=1, element_references=1))
    assert edited.sends_element_images is True
    # A model in the organisation that takes references gets it (as the studio always sent it there);
    # a text-only one hands the run to its editor.
    local = plan(CATALOG, PlanInput(model="qwen", prompt="a fox", element_references=1))
    assert local.sends_element_images and local.profile_id == "edit"


def test_the_reference_limit_counts_the_elements_images_sent():
    with pytest.raises(Refusal) as refused:
        plan(CATALOG, PlanInput(model="qwen", prompt="a fox", references=3, element_references=2))
    assert refused.value.field == "references" and "at most" in refused.value.message
    error = api_error(refused.value, param="image")
    assert (error.status, error.param, error.code) == (400, "image", "too_many_images")


def test_an_unknown_model_is_refused_naming_the_field_and_the_api_lists_the_models():
    with pytest.raises(Refusal) as refused:
        plan(CATALOG, PlanInput(model="dall-e-2", prompt="a fox"))
    error = api_error(refused.value, catalog=CATALOG)
    assert (error.status, error.param, error.code) == (404, "model", "model_not_found")
    assert "Models: qwen, edit, gpt-image" in error.message


def test_submit_refuses_a_reference_of_another_user_and_queues_nothing(fresh_services):
    services = fresh_services.get_services()
    anna, bert = make_user(services.engine, "anna"), make_user(services.engine, "bert")
    planned = plan(services.catalog, PlanInput(model=services.catalog.default_id, prompt="a fox", references=1))

    async def scenario():
        annas = await uploads.add_reference(services, anna.id, png(), name="fox.png")
        with pytest.raises(Refusal) as refused:
            await submit(services, bert.id, planned, (annas.id,))
        assert refused.value.field == "references"
        return annas, await submit(services, anna.id, planned, (annas.id,))

    annas, job_id = asyncio.run(scenario())
    with session(services.engine) as db:
        jobs = db.exec(select(Generation)).all()
    assert [(job.id, job.owner_id, job.reference_count) for job in jobs] == [(job_id, anna.id, 1)]
    assert annas.owner_id == anna.id


def test_an_upload_that_is_no_image_is_refused_and_nothing_is_stored(fresh_services):
    services = fresh_services.get_services()
    anna = make_user(services.engine, "anna")
    with pytest.raises(ReferenceRejected) as rejected:
        asyncio.run(uploads.add_reference(services, anna.id, b"%PDF-1.7 not a picture", name="notes.pdf"))
    assert isinstance(rejected.value, Refusal) and "notes.pdf" in rejected.value.message
    with session(services.engine) as db:
        assert db.exec(select(ReferenceImage)).all() == []
    assert not any(path.is_file() for path in services.references.root.rglob("*.png"))
