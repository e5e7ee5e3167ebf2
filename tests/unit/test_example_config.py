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
