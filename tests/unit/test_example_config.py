from pathlib import Path

from bildgen.inference.profiles import load_catalog

EXAMPLE = Path(__file__).resolve().parents[2] / "bildgen.example.toml"


def test_the_shipped_example_config_is_valid_and_routes_qwen_edits_to_the_edit_model():
    catalog = load_catalog(EXAMPLE)
    assert catalog.default.label == "Qwen-Image 2512"
    assert catalog.serving("qwen-image", with_references=False).id == "qwen-image"
    assert catalog.serving("qwen-image", with_references=True).id == "qwen-image-edit"
    assert catalog.max_references("qwen-image") == 4
    assert catalog.max_references("flux2-dev") == 1
    assert catalog.get("flux2-dev").traits().takes_negative_prompt is False
    assert catalog.text_model.label == "Qwen3 writer"


def test_every_commented_provider_profile_in_the_example_is_valid_once_uncommented(tmp_path):
    import re

    active, _, commented = EXAMPLE.read_text().partition("# ---- Other image services")
    settings = [line[2:] for line in commented.splitlines() if re.match(r"# (\[|[a-z_]+ = )", line)]
    path = tmp_path / "bildgen.toml"
    path.write_text(active + "\n".join(settings) + "\n")
    catalog = load_catalog(path)
    providers = {profile.provider for profile in catalog.models.values()}
    assert providers == {
        "openai-compatible",
        "automatic1111",
        "bfl",
        "openai",
        "gateway",
        "upscaler-http",
        "automatic1111-upscaler",
    }
    assert catalog.upscaler.id == "esrgan"
    assert catalog.get("esrgan").largest_output_side == 4096
    assert catalog.get("flux-pro").capabilities().cloud == "Black Forest Labs"
    assert catalog.get("sdxl").capabilities().masks
    assert catalog.get("gateway-gemini").capabilities().image_sizes == ("1K", "2K", "4K")
