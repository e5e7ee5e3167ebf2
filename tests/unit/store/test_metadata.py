import io

from PIL import Image, ImageFile, PngImagePlugin

from bildgen.inference.demo.renderer import render
from bildgen.store.metadata import StoredRecipe, embed, parse_a1111, read

RECIPE = StoredRecipe(
    prompt="Ein Fuchs im Schnee, 狐狸",
    negative_prompt="blurry, text",
    steps=30,
    guidance=4.5,
    guidance_field="true_cfg_scale",
    seed=4294967295,
    width=320,
    height=192,
    model="Qwen/Qwen-Image-2512",
    model_profile="qwen-image",
    mode="text-to-image",
)


def pixels(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA").tobytes()


def test_our_recipe_round_trips_and_the_pixels_are_untouched():
    original = render("x", width=320, height=192, seed=1)
    stored = embed(original, RECIPE)
    assert read(stored) == RECIPE
    assert pixels(stored) == pixels(original)
    # Only chunks were added: the original header and image data are still there, byte for byte.
    first_idat = original.index(b"IDAT") - 4
    assert stored.startswith(original[:first_idat])
    assert original[first_idat:] in stored


def test_the_same_recipe_gives_the_same_bytes():
    original = render("x", width=64, height=64, seed=1)
    assert embed(original, RECIPE) == embed(original, RECIPE)


def test_other_tools_see_an_automatic1111_parameters_chunk():
    with Image.open(io.BytesIO(embed(render("x", width=64, height=64, seed=1), RECIPE))) as image:
        parameters = image.text["parameters"]
    assert parameters.splitlines() == [
        "Ein Fuchs im Schnee, 狐狸",
        "Negative prompt: blurry, text",
        "Steps: 30, CFG scale: 4.5, Seed: 4294967295, Size: 320x192, Model: Qwen/Qwen-Image-2512",
    ]


def a1111_png(parameters: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def test_an_automatic1111_png_gives_its_recipe():
    sample = (
        "masterpiece, a castle on a hill\nat sunset\n"
        "Negative prompt: lowres, bad anatomy\n"
        "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890, Size: 832x1216, "
        'Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Lora hashes: "a: 1, b: 2", Version: v1.10.1'
    )
    recipe = read(a1111_png(sample))
    assert recipe.prompt == "masterpiece, a castle on a hill\nat sunset"
    assert recipe.negative_prompt == "lowres, bad anatomy"
    assert (recipe.steps, recipe.guidance, recipe.seed) == (28, 7.0, 1234567890)
    assert (recipe.width, recipe.height, recipe.model) == (832, 1216, "sd_xl_base_1.0")


def test_a_prompt_only_automatic1111_text_is_still_a_prompt():
    recipe = read(a1111_png("just a prompt"))
    assert recipe.prompt == "just a prompt" and recipe.steps is None


def test_pngs_without_a_recipe_and_other_files_give_none():
    assert read(render("x", width=64, height=64, seed=1)) is None
    assert read(b"not a png") is None


IEND_CHUNK = b"\0\0\0\0IEND\xaeB`\x82"


def test_bytes_after_the_end_of_a_server_png_are_not_stored():
    original = render("x", width=64, height=64, seed=1)
    stored = embed(original + b"trailing junk, even with IEND in it" + IEND_CHUNK + b"more", RECIPE)
    assert stored.endswith(IEND_CHUNK)
    assert stored.count(b"IEND") == 1
    assert read(stored) == RECIPE
    assert pixels(stored) == pixels(original)


def test_a_parameters_chunk_the_server_wrote_gives_way_to_ours():
    server_png = a1111_png("what the server thought it drew")
    stored = embed(server_png, RECIPE)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.text["parameters"] == RECIPE.to_a1111()
    assert b"what the server thought" not in stored


def test_our_recipe_is_read_without_decoding_the_pixels(monkeypatch):
    # The recipe of a dropped 40-megapixel PNG should not cost a full decode.
    stored = embed(render("x", width=320, height=192, seed=1), RECIPE)
    decodes = []
    real_load = ImageFile.ImageFile.load

    def counted_load(image):
        decodes.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    assert read(stored) == RECIPE
    assert read(render("x", width=64, height=64, seed=1)) is None
    assert decodes == []


def test_a_recipe_written_after_the_pixels_is_still_read():
    # Images stored by earlier versions carry their recipe chunks just before IEND.
    original = render("x", width=64, height=64, seed=1)
    first_idat = original.index(b"IDAT") - 4
    stored = embed(original, RECIPE)
    recipe_chunks = stored[first_idat : len(stored) - (len(original) - first_idat)]
    older = original[:-12] + recipe_chunks + original[-12:]
    assert read(older) == RECIPE


def test_provider_options_travel_in_the_recipe_and_a1111_reads_the_denoising_strength():
    recipe = StoredRecipe(prompt="a fox", steps=20, seed=3, options={"denoising_strength": 0.6, "quality": "high"})
    stored = embed(render("x", width=64, height=64, seed=1), recipe)
    assert read(stored) == recipe
    a1111 = PngImagePlugin.PngImageFile(io.BytesIO(stored)).text["parameters"]
    assert "Denoising strength: 0.6" in a1111
    assert parse_a1111(a1111).options == {"denoising_strength": 0.6}
