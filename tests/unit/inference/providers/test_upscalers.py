"""The upscaler adapters against the demo server's upscale flavors, over real HTTP on 127.0.0.1."""

import io

import pytest
from PIL import Image

from bildgen.inference.demo.renderer import render
from bildgen.inference.demo.upscaler import DEMO_UPSCALER_ID
from bildgen.inference.errors import ErrorKind, InferenceError
from bildgen.inference.profiles import ModelProfile
from bildgen.inference.providers import ProbeProblem
from tests.unit.inference.providers.conftest import generate, inject, logged, probe, profile_for, request

SOURCE = render("a lighthouse at dusk", width=256, height=192, seed=3)


def lanczos(png: bytes, factor: int) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").resize((image.width * factor, image.height * factor), Image.Resampling.LANCZOS)


def pixels(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def upscale_request(factor: int, source: bytes = SOURCE):
    width, height = Image.open(io.BytesIO(source)).size
    return request(prompt="", references=[source], width=width * factor, height=height * factor)


@pytest.fixture
def webui(flavor_server):
    return flavor_server("automatic1111")


@pytest.fixture
def service(flavor_server):
    return flavor_server("upscaler")


@pytest.mark.parametrize("factor", [2, 4])
def test_the_webui_extras_tab_enlarges_by_the_factor_with_the_profiles_upscaler(webui, factor):
    profile = profile_for(webui, "automatic1111-upscaler", served_name="R-ESRGAN 4x+")
    generated = generate(profile, upscale_request(factor))
    assert (generated.image.width, generated.image.height) == (256 * factor, 192 * factor)
    assert pixels(generated.image.png).tobytes() == lanczos(SOURCE, factor).tobytes()
    [sent] = logged(webui, "/sdapi/v1/extra-single-image")
    assert sent["body"]["upscaler_1"] == "R-ESRGAN 4x+"
    assert (sent["body"]["resize_mode"], sent["body"]["upscaling_resize"]) == (0, factor)


def test_the_upscale_service_enlarges_exactly_as_its_contract_says(service):
    profile = profile_for(service, "upscaler-http")
    generated = generate(profile, upscale_request(4))
    assert pixels(generated.image.png).tobytes() == lanczos(SOURCE, 4).tobytes()
    [sent] = logged(service, "/upscale")
    assert sent["body"] == {"scale": 4, "model": DEMO_UPSCALER_ID}


def test_an_output_beyond_the_profiles_largest_side_is_refused_before_anything_is_sent(service):
    profile = profile_for(service, "upscaler-http", max_output_side=512)
    with pytest.raises(InferenceError) as raised:
        generate(profile, upscale_request(4))
    assert raised.value.kind is ErrorKind.REJECTED
    assert "512 px" in raised.value.server_said
    assert logged(service, "/upscale") == []


def test_an_answer_of_another_size_than_asked_is_not_kept(service):
    inject(service, "wrong-size")
    with pytest.raises(InferenceError) as raised:
        generate(profile_for(service, "upscaler-http"), upscale_request(2))
    assert raised.value.kind is ErrorKind.MALFORMED
    assert "not 512×384" in raised.value.server_said


def test_a_failing_upscale_service_is_a_typed_error_naming_what_it_said(service):
    inject(service, "server-error", times=10)
    with pytest.raises(InferenceError) as raised:
        generate(profile_for(service, "upscaler-http", deadline_s=5), upscale_request(2))
    assert raised.value.kind in (ErrorKind.SERVER_FAILURE, ErrorKind.UNAVAILABLE, ErrorKind.TIMED_OUT)


def test_probes_name_the_upscaler_or_say_it_is_missing(webui, service):
    assert probe(profile_for(webui, "automatic1111-upscaler", served_name="R-ESRGAN 4x+")).ok
    missing = probe(profile_for(webui, "automatic1111-upscaler", served_name="4x-UltraSharp"))
    assert missing.problem is ProbeProblem.MODEL_NOT_FOUND and "4x-UltraSharp" in missing.message
    assert probe(profile_for(service, "upscaler-http")).model == DEMO_UPSCALER_ID
    assert probe(profile_for(service, "upscaler-http", served_name="nope")).problem is ProbeProblem.MODEL_NOT_FOUND


def test_an_upscaler_profile_is_never_offered_as_an_image_model_and_states_its_limit():
    from bildgen.inference.profiles import Catalog

    image = ModelProfile(id="img", label="Image", base_url="http://127.0.0.1:1/v1")
    upscaler = ModelProfile(id="up", label="Sharp", base_url="http://127.0.0.1:2", provider="upscaler-http")
    catalog = Catalog(default_model="img", models={"img": image, "up": upscaler})
    assert [profile.id for profile in catalog.offered] == ["img"]
    assert not catalog.offers("up")
    assert catalog.upscaler is upscaler
    assert upscaler.largest_output_side == 4096
    assert upscaler.capabilities().max_side == 4096
    with pytest.raises(ValueError, match="upscaler"):
        Catalog(default_model="up", models={"img": image, "up": upscaler})
