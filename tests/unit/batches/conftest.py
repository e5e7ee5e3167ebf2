import pytest

from bildgen.inference.profiles import Catalog, ModelProfile


@pytest.fixture
def catalog() -> Catalog:
    """Two models of different families, as a deployment would configure them."""
    return Catalog(
        default_model="qwen",
        models={
            "qwen": ModelProfile(id="qwen", label="Qwen-Image", base_url="http://127.0.0.1:9/v1", family="qwen-image"),
            "flux": ModelProfile(
                id="flux", label="FLUX.2", base_url="http://127.0.0.1:9/v1", family="flux2", served_name="FLUX.2-dev"
            ),
        },
    )
