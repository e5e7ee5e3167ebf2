"""The official openai SDK as the client: generate (b64_json and url), edit, list models; every image
lands in the token owner's gallery with its recipe."""

import base64
import time

import httpx
import openai
import pytest
from PIL import Image, ImageChops
from sqlmodel import select

from bildgen.auth import image_links
from bildgen.jobs import views
from bildgen.store import gallery, library, metadata
from bildgen.store.db import session
from bildgen.store.models import ReferenceImage
from tests.unit.api.conftest import SMALL, picture, png
from tests.unit.api.test_masks import encoded


def stored_bytes(services, image_id: str, owner_id: str) -> bytes:
    image, _ = library.find_image(services.engine, image_id, owner_id)
    return services.files.path_for(image.sha256).read_bytes()


def test_generate_with_b64_json_saves_every_image_in_the_owners_gallery_with_its_recipe(bildgen):
    anna, token = bildgen.user_and_token("anna")
    answer = bildgen.sdk(token).images.generate(
        model="demo",
        prompt="a red fox in the snow",
        n=2,
        size=SMALL,
        response_format="b64_json",
        extra_body={"seed": 7},
    )
    assert len(answer.data) == 2
    assert [item.seed for item in answer.data] == [7, 8]
    for item in answer.data:
        data = base64.b64decode(item.b64_json)
        assert picture(data).size == (256, 256)
        assert data == stored_bytes(bildgen.services, item.id, anna.id)
        recipe = metadata.read(data)
        assert recipe.prompt == "a red fox in the snow" and recipe.seed == item.seed and recipe.model_profile == "demo"
    shown = gallery.page(bildgen.services.engine, anna.id).items
    assert sorted(image.id for image, _ in shown) == sorted(item.id for item in answer.data)


def test_a_url_answer_is_fetched_without_a_cookie_and_only_for_that_image_until_it_expires(bildgen):
    anna, token = bildgen.user_and_token("anna")
    answer = bildgen.sdk(token).images.generate(
        model="demo", prompt="a lighthouse", n=2, size=SMALL, response_format="url"
    )
    first, second = answer.data
    assert first.b64_json is None and first.url.startswith(bildgen.origin + "/_upload/private/images/")
    fetched = httpx.get(first.url)  # no cookie, no token: the link alone
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    assert fetched.content == stored_bytes(bildgen.services, first.id, anna.id)

    # The signature of one image opens no other, and a changed one opens nothing.
    assert httpx.get(first.url.replace(first.id, second.id)).status_code == 404
    assert httpx.get(first.url[:-3] + ("AAA" if not first.url.endswith("AAA") else "BBB")).status_code == 404
    # An expired link opens nothing either.
    services = bildgen.services
    old = image_links.signed_query(services.secret, first.id, anna.id, now=time.time() - image_links.LIFETIME_S - 1)
    assert httpx.get(first.url.split("?")[0], params=old).status_code == 404


def test_models_lists_the_profiles_by_id(bildgen):
    _, token = bildgen.user_and_token("anna")
    models = bildgen.sdk(token).models.list().data
    assert [model.id for model in models] == ["demo"]
    assert models[0].label == "Demo renderer" and models[0].max_references == 4


def test_a_profile_an_administrator_switches_off_leaves_the_models_and_is_refused_naming_model(bildgen):
    anna, token = bildgen.user_and_token("anna")
    sketcher = bildgen.add_profile("Sketcher")
    assert [model.id for model in bildgen.sdk(token).models.list().data] == ["demo", sketcher]

    bildgen.set_profile_enabled(sketcher, False)

    assert [model.id for model in bildgen.sdk(token).models.list().data] == ["demo"]
    with pytest.raises(openai.NotFoundError) as generating:
        bildgen.sdk(token).images.generate(model=sketcher, prompt="a fox", size=SMALL)
    with pytest.raises(openai.NotFoundError) as editing:
        bildgen.sdk(token).images.edit(model=sketcher, image=("a.png", png(), "image/png"), prompt="bluer")
    for refused in (generating, editing):
        assert refused.value.body["param"] == "model" and "switched it off" in refused.value.body["message"]
        assert "Models: demo " in refused.value.body["message"]
    # Refused before anything is stored or queued.
    assert views.latest(bildgen.services.engine, owner_id=anna.id) is None
    with session(bildgen.services.engine) as db:
        assert db.exec(select(ReferenceImage)).all() == []


def test_without_a_model_a_request_goes_to_the_first_one_offered_while_the_default_is_switched_off(bildgen):
    anna, token = bildgen.user_and_token("anna")
    sketcher = bildgen.add_profile("Sketcher")
    bildgen.set_profile_enabled("demo", False)
    answer = bildgen.sdk(token).images.generate(prompt="a fox", size=SMALL)
    _, generation = library.find_image(bildgen.services.engine, answer.data[0].id, anna.id)
    assert generation.model_profile == sketcher


def test_edit_sends_the_cleaned_images_to_the_model_and_keeps_them_as_references(bildgen):
    anna, token = bildgen.user_and_token("anna")
    answer = bildgen.sdk(token).images.edit(
        model="demo",
        image=[
            ("first.png", png(colour=(200, 0, 0)), "image/png"),
            ("second.png", png(colour=(0, 0, 200)), "image/png"),
        ],
        prompt="both in one picture",
        size=SMALL,
        extra_body={"seed": 3},
    )
    assert len(answer.data) == 1 and answer.data[0].seed == 3
    image, generation = library.find_image(bildgen.services.engine, answer.data[0].id, anna.id)
    assert generation.mode == "image-to-image" and generation.reference_count == 2
    references = library.references_of(bildgen.services.engine, generation.id, anna.id)
    assert [reference.name for reference in references] == ["API upload: first.png", "API upload: second.png"]
    edits = [entry for entry in bildgen.demo_requests() if entry["path"].endswith("/images/edits")]
    assert len(edits) == 1


def test_an_edit_with_openais_mask_changes_only_the_transparent_area_and_the_gallery_keeps_the_mask(bildgen):
    anna, token = bildgen.user_and_token("anna")
    original = picture(png(256, 256, colour=(200, 30, 30))).convert("RGB")
    mask = Image.new("RGBA", (256, 256), (0, 0, 0, 255))  # OpenAI's form: opaque = keep …
    mask.paste((0, 0, 0, 0), (0, 0, 128, 128))  # … the transparent top-left quarter = change
    answer = bildgen.sdk(token).images.edit(
        model="demo",
        image=("photo.png", png(256, 256, colour=(200, 30, 30)), "image/png"),
        mask=("mask.png", encoded(mask), "image/png"),
        prompt="a window in the corner",
        size=SMALL,
        response_format="b64_json",
    )
    result = picture(base64.b64decode(answer.data[0].b64_json)).convert("RGB")
    assert ImageChops.difference(result, original).getbbox() == (0, 0, 128, 128)
    edit = [entry for entry in bildgen.demo_requests() if entry["path"].endswith("/images/edits")][-1]
    assert [part["field"] for part in edit["body"]["image_parts"]] == ["image[]", "mask"]
    # The gallery's recipe: the mask (white = change), kept with the reference it was painted on.
    services = bildgen.services
    _, generation = library.find_image(services.engine, answer.data[0].id, anna.id)
    kept = library.find_mask(services.engine, generation.mask_id, anna.id)
    [reference] = library.references_of(services.engine, generation.id, anna.id)
    assert kept.reference_id == reference.id
    assert picture(services.references.path_for(kept.sha256).read_bytes()).getbbox() == (0, 0, 128, 128)
    assert metadata.read(stored_bytes(services, answer.data[0].id, anna.id)).masked is True


def test_a_single_image_part_named_image_is_an_edit_too(bildgen):
    _, token = bildgen.user_and_token("anna")
    answer = bildgen.sdk(token).images.edit(
        model="demo", image=("only.png", png(), "image/png"), prompt="bluer", size=SMALL, response_format="b64_json"
    )
    assert picture(base64.b64decode(answer.data[0].b64_json)).size == (256, 256)


def test_a_client_that_hangs_up_does_not_cancel_its_generation(bildgen):
    anna, token = bildgen.user_and_token("anna")
    bildgen.fault("slow")  # the demo server takes a few seconds more for this image
    with pytest.raises(httpx.ReadTimeout), bildgen.http(token) as client:
        client.post("images/generations", json={"model": "demo", "prompt": "patience", "size": SMALL}, timeout=0.5)
    deadline = time.monotonic() + 30
    while not (items := gallery.page(bildgen.services.engine, anna.id).items):
        assert time.monotonic() < deadline, "the image never arrived"
        time.sleep(0.2)
    assert items[0][1].prompt == "patience"


def test_the_sdk_shows_bildgens_own_words_for_a_wrong_field(bildgen):
    _, token = bildgen.user_and_token("anna")
    with pytest.raises(openai.BadRequestError) as refused:
        bildgen.sdk(token).images.generate(model="demo", prompt="x", size="100x100")
    assert refused.value.body["param"] == "size"
    assert "Width must be a multiple of 16 from 256 to 2048." in str(refused.value)
