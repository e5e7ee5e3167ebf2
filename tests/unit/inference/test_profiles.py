import pytest

from bildgen.inference.profiles import ConfigError, ModelProfile, load_catalog


def write(tmp_path, text: str):
    path = tmp_path / "bildgen.toml"
    path.write_text(text)
    return path


def test_a_valid_file_gives_profiles_with_their_ids(tmp_path):
    catalog = load_catalog(
        write(
            tmp_path,
            'default_model = "flux"\n[models.flux]\nlabel = "FLUX.2 dev"\nbase_url = "http://gpu-1:8000/v1"\n'
            'family = "flux2"\napi_key_env = "FLUX_KEY"\n',
        )
    )
    assert catalog.default.id == "flux"
    assert catalog.default.family == "flux2"


def test_the_api_key_is_read_from_the_named_variable_only(tmp_path):
    catalog = load_catalog(
        write(tmp_path, 'default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h/v1"\napi_key_env = "K"\n')
    )
    assert catalog.default.endpoint({"K": "secret"}).api_key == "secret"
    assert catalog.default.endpoint({}).api_key is None
    assert "secret" not in repr(catalog)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('default_model = "x"\n[models.a]\nlabel = "A"\nbase_url = "http://h/v1"\n', "default_model 'x'"),
        ('default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "not a url"\n', "models.a.base_url"),
        ('default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h"\nfamily = "sdxl"\n', "models.a.family"),
        ('default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h"\napi_key = "x"\n', "models.a.api_key"),
        ("default_model = \n", "not valid TOML"),
        (
            'default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h"\nedit_with = "b"\n',
            "models.a.edit_with: 'b' is not",
        ),
        (
            'default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h"\nedit_with = "b"\n'
            '[models.b]\nlabel = "B"\nbase_url = "http://h2"\nfamily = "qwen-image"\n',
            "'b' takes no reference images",
        ),
        (
            'default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h"\nsizes = ["1000x1000"]\n',
            "multiples of 16",
        ),
        (
            'default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h"\nretry_interrupted = "sometimes"\n',
            "models.a.retry_interrupted: Input should be a valid boolean",
        ),
    ],
    ids=[
        "unknown-default",
        "bad-url",
        "unknown-family",
        "key-in-file",
        "broken-toml",
        "unknown-editor",
        "editor-without-references",
        "bad-size",
        "retry-not-a-yes-or-no",
    ],
)
def test_a_bad_file_names_the_file_the_key_and_the_problem(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_catalog(path)
    assert str(path) in str(caught.value)
    assert words in str(caught.value)


def test_a_text_only_model_without_an_editor_takes_no_references(tmp_path):
    catalog = load_catalog(
        write(
            tmp_path, 'default_model = "q"\n[models.q]\nlabel = "Q"\nbase_url = "http://h/v1"\nfamily = "qwen-image"\n'
        )
    )
    assert catalog.max_references("q") == 0
    assert catalog.serving("q", with_references=True).id == "q"


def test_profile_overrides_replace_the_family_defaults(tmp_path):
    catalog = load_catalog(
        write(
            tmp_path,
            'default_model = "f"\n[models.f]\nlabel = "F"\nbase_url = "http://h/v1"\nfamily = "flux2"\n'
            'sizes = ["768x1344"]\nsteps = 28\nmax_references = 6\n',
        )
    )
    traits = catalog.default.traits()
    assert (traits.default_size, traits.steps, traits.max_references) == ((768, 1344), 28, 6)


@pytest.mark.parametrize(
    ("family", "max_references", "masks"),
    [("generic", None, True), ("generic", 0, False), ("qwen-image-edit", None, False), ("flux2", None, False)],
)
def test_masks_are_offered_where_the_server_takes_an_edit_with_a_mask(family, max_references, masks):
    profile = ModelProfile(label="x", base_url="http://127.0.0.1:9/v1", family=family, max_references=max_references)
    assert profile.capabilities().masks is masks


@pytest.mark.parametrize(
    ("fields", "retries"),
    [
        ({"provider": "openai-compatible"}, True),
        ({"provider": "automatic1111"}, True),
        ({"provider": "gateway", "route": "qwen"}, True),
        ({"provider": "gateway", "route": "automatic1111"}, True),
        ({"provider": "gateway", "route": "flux"}, False),
        ({"provider": "gateway", "route": "gpt-image"}, False),
        ({"provider": "gateway", "route": "gemini-3"}, False),
        ({"provider": "bfl", "served_name": "flux-2-pro"}, False),
        ({"provider": "openai"}, False),
        ({"provider": "bfl", "served_name": "flux-2-pro", "retry_interrupted": True}, True),
        ({"provider": "automatic1111", "retry_interrupted": False}, False),
    ],
)
def test_an_interrupted_image_is_asked_for_again_by_default_only_where_that_costs_nothing(fields, retries):
    """Self-hosted services are asked again after a worker died; a cloud (which may bill twice) is not,
    unless the profile says so."""
    profile = ModelProfile(label="P", base_url="http://h/v1", **fields)
    assert profile.retries_interrupted is retries
