"""Open WebUI's image engine "Open AI" pointed at bildgen (base URL http://…/v1, the key an API token).

The requests below are exactly what Open WebUI builds (backend/open_webui/routers/images.py:
`image_generations` and `image_edits`, engine "openai"), and the answers are read the way it reads
them: each item of `data` is fetched by its `url` (with the same Authorization header, and only if
the answer's content type is an image) or decoded from `b64_json`.
"""

import base64
import io
import uuid

import httpx
from PIL import Image

from tests.unit.api.conftest import png

OPEN_WEBUI_DEFAULT_SIZE = "512x512"  # IMAGE_SIZE's default


def read_like_open_webui(answer: httpx.Response, headers: dict) -> list[tuple[bytes, str]]:
    answer.raise_for_status()
    images = []
    for image in answer.json()["data"]:
        if image_url := image.get("url", None):
            fetched = httpx.get(image_url, headers={k: v for k, v in headers.items() if k != "Content-Type"})
            fetched.raise_for_status()
            content_type = fetched.headers.get("content-type", "")
            assert content_type.split("/")[0] == "image", "Open WebUI drops an answer that is not an image"
            images.append((fetched.content, content_type))
        else:
            data = image["b64_json"]
            if "," in data:
                header, encoded = data.split(",", 1)
                images.append((base64.b64decode(encoded), header.split(";")[0].removeprefix("data:")))
            else:
                images.append((base64.b64decode(data), "image/png"))
    return images


def assert_pictures(images: list[tuple[bytes, str]], count: int, size: tuple[int, int]) -> None:
    assert len(images) == count
    for data, content_type in images:
        assert content_type == "image/png"
        assert Image.open(io.BytesIO(data)).size == size


def test_open_webui_generates_through_bildgen(bildgen):
    _, key = bildgen.user_and_token("anna")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    data = {"model": "demo", "prompt": "A watercolour of a harbour", "n": 1, "size": OPEN_WEBUI_DEFAULT_SIZE}
    data["response_format"] = "b64_json"  # sent unless the model's name starts with gpt-image
    answer = httpx.post(f"{bildgen.base_url}/images/generations", json=data, headers=headers, timeout=60)
    assert_pictures(read_like_open_webui(answer, headers), 1, (512, 512))


def test_open_webui_with_url_answers_and_user_info_headers(bildgen):
    """IMAGES_OPENAI_API_PARAMS may ask for URLs; ENABLE_FORWARD_USER_INFO_HEADERS adds the chat user."""
    _, key = bildgen.user_and_token("anna")
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "X-OpenWebUI-User-Name": "Anna",
        "X-OpenWebUI-User-Id": str(uuid.uuid4()),
        "X-OpenWebUI-User-Email": "anna@example.org",
        "X-OpenWebUI-User-Role": "user",
    }
    data = {"model": "demo", "prompt": "Two cats", "n": 2, "size": OPEN_WEBUI_DEFAULT_SIZE, "response_format": "url"}
    answer = httpx.post(f"{bildgen.base_url}/images/generations", json=data, headers=headers, timeout=60)
    assert_pictures(read_like_open_webui(answer, headers), 2, (512, 512))


def test_open_webui_edits_through_bildgen(bildgen):
    _, key = bildgen.user_and_token("anna")
    headers = {"Authorization": f"Bearer {key}"}
    form = {
        "model": "demo",
        "prompt": "Make the sky green",
        "size": OPEN_WEBUI_DEFAULT_SIZE,
        "response_format": "b64_json",
    }
    # One image: a part named `image`; several: parts named `image[]` (uuid names, the data URL's type).
    single = [("image", (f"{uuid.uuid4()}.png", io.BytesIO(png()), "image/png"))]
    several = [
        ("image[]", (f"{uuid.uuid4()}.png", io.BytesIO(png(colour=c)), "image/png")) for c in ((1, 2, 3), (4, 5, 6))
    ]
    for files in (single, several):
        answer = httpx.post(f"{bildgen.base_url}/images/edits", data=form, files=files, headers=headers, timeout=60)
        assert_pictures(read_like_open_webui(answer, headers), 1, (512, 512))
