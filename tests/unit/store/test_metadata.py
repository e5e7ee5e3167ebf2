import io

from PIL import Image, PngImagePlugin

from bildgen.inference.demo.renderer import render
from bildgen.store.metadata import StoredRecipe, embed, read

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
    # Only chunks were added: the original image data is still there, byte for byte.
    assert original[:-12] in stored


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
