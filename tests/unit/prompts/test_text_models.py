"""Text models in the catalog: [text_models.<id>] tables beside the image models."""

import pytest

from bildgen.inference.profiles import ConfigError, demo_catalog, load_catalog

IMAGE_MODEL = '[models.qwen]\nlabel = "Qwen"\nbase_url = "http://gpu:8000/v1"\n'


def test_text_models_are_read_with_their_ids_and_the_default_is_used(tmp_path, monkeypatch):
    path = tmp_path / "bildgen.toml"
    path.write_text(
        'default_model = "qwen"\ndefault_text_model = "writer"\n'
        + IMAGE_MODEL
        + '[text_models.writer]\nlabel = "Qwen3 writer"\nbase_url = "http://llm:8001/v1"\napi_key_env = "LLM_KEY"\n'
        + '[text_models.small]\nlabel = "Small"\nbase_url = "http://llm:8002/v1"\nstructured_output = false\n'
    )
    monkeypatch.setenv("LLM_KEY", "secret")
    catalog = load_catalog(path)
    assert catalog.text_model.id == "writer"
    assert catalog.text_model.endpoint().api_key == "secret"
    assert catalog.text_models["small"].structured_output is False


def test_without_text_models_no_prompt_help_is_offered(tmp_path):
    path = tmp_path / "bildgen.toml"
    path.write_text('default_model = "qwen"\n' + IMAGE_MODEL)
    assert load_catalog(path).text_model is None


def test_a_default_text_model_that_does_not_exist_stops_start_up_with_its_name(tmp_path):
    path = tmp_path / "bildgen.toml"
    path.write_text('default_model = "qwen"\ndefault_text_model = "gone"\n' + IMAGE_MODEL)
    with pytest.raises(ConfigError, match="default_text_model 'gone' is not one of the"):
        load_catalog(path)


def test_the_demo_catalog_has_the_demo_servers_text_model():
    catalog = demo_catalog("http://127.0.0.1:8765/v1")
    assert str(catalog.text_model.base_url) == "http://127.0.0.1:8765/text/v1"
