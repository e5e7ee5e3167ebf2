"""What every provider shares: a profile's capabilities (its provider's, then the TOML's overrides),
provider options checked against them, and "Test connection" (probe) in words a user can act on."""

import asyncio
import datetime
import ssl

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette

from bildgen.inference import providers
from bildgen.inference.demo.server import BackgroundServer
from bildgen.inference.profiles import ConfigError, ModelProfile, load_catalog
from bildgen.inference.providers import ProbeProblem


def catalog_of(tmp_path, text: str):
    path = tmp_path / "bildgen.toml"
    path.write_text('default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://h/v1"\n' + text)
    return load_catalog(path)


def test_the_toml_overrides_what_the_form_offers(tmp_path):
    catalog = catalog_of(
        tmp_path,
        'family = "flux2"\n[models.a.capabilities]\nguidance_label = "Guidance scale"\nseed = false\n'
        'qualities = ["low", "high"]\ncloud = "Example Cloud Ltd"\n',
    )
    capabilities = catalog.default.capabilities()
    assert capabilities.guidance_label == "Guidance scale"
    assert capabilities.seed is False
    assert capabilities.qualities == ("low", "high")
    assert capabilities.cloud == "Example Cloud Ltd"
    # What was not overridden stays the family's: FLUX.2 has no negative prompt.
    assert capabilities.negative_prompt is False


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[models.a.capabilities]\ncolour = true\n", "models.a.capabilities.colour"),
        ('[models.a.capabilities]\nmasks = "yes please"\n', "models.a.capabilities.masks"),
        ('route = "qwen"\n', "route is only for provider"),
        ('provider = "dall-e"\n', "models.a.provider"),
    ],
    ids=["unknown-key", "wrong-type", "route-without-gateway", "unknown-provider"],
)
def test_a_bad_capability_or_provider_key_is_named(tmp_path, text, words):
    with pytest.raises(ConfigError) as caught:
        catalog_of(tmp_path, text)
    assert words in str(caught.value)


def test_options_a_model_does_not_take_or_with_bad_values_get_a_message_each(tmp_path):
    capabilities = catalog_of(
        tmp_path, '[models.a.capabilities]\nqualities = ["low", "high"]\nsafety_tolerance = true\n'
    ).default.capabilities()
    assert capabilities.option_problems({"quality": "high", "safety_tolerance": 2}) == {}
    problems = capabilities.option_problems(
        {"quality": "ultra", "safety_tolerance": 9, "denoising_strength": 0.5, "prompt_upsampling": True}
    )
    assert problems == {
        "quality": "Quality must be one of low, high.",
        "safety_tolerance": "Safety tolerance must be a whole number from 0 (strictest) to 6.",
        "denoising_strength": "This model does not take Denoising strength.",
        "prompt_upsampling": "This model does not take Prompt upsampling.",
    }


def probe(base_url: str, **fields):
    profile = ModelProfile(id="p", label="P", base_url=base_url, deadline_s=5, **fields)
    return asyncio.run(providers.probe(profile))


def test_probing_a_working_server_says_which_model_it_serves(demo_server):
    result = probe(demo_server.base_url)
    assert result.ok
    assert result.model == "bildgen-demo"
    assert "bildgen-demo" in result.message


def test_probing_a_stopped_server_says_it_is_down():
    result = probe("http://127.0.0.1:9/v1")
    assert not result.ok
    assert result.problem is ProbeProblem.SERVICE_DOWN
    assert "did not answer" in result.message


@pytest.fixture
def self_signed_server(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = BackgroundServer(Starlette())
    server._server.config = uvicorn.Config(
        Starlette(),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(tmp_path / "cert.pem"),
        ssl_keyfile=str(tmp_path / "key.pem"),
    )
    server.start()
    yield server.base_url.replace("http://", "https://")
    server.stop()


def test_probing_a_server_whose_certificate_is_not_trusted_names_the_tls_problem(self_signed_server):
    assert ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED
    result = probe(self_signed_server)
    assert not result.ok
    assert result.problem is ProbeProblem.TLS
    assert "certificate" in result.message
