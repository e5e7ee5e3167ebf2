"""The deployment files an operator copies (docs/deploy/) agree with each other and with bildgen."""

import re
from urllib.parse import urlsplit

import yaml

from bildgen.settings import load_settings
from tests.servers import DEPLOY, documented_deployment

GUIDE = DEPLOY.parent / "deployment.md"


def env_example() -> tuple[dict[str, str], set[str]]:
    documented = documented_deployment()
    return documented.environment, documented.commented


def test_the_env_example_starts_bildgen_behind_the_documented_nginx_on_plain_http():
    values, _ = env_example()
    settings = load_settings({**values, "BILDGEN_PORT": "3001"})
    listens = re.findall(r"^\s*listen (\S+);", (DEPLOY / "nginx-bildgen.conf").read_text(), re.MULTILINE)
    assert listens and all(address.endswith("80") for address in listens)  # plain http, as shipped
    (origin,) = settings.allowed_origins
    assert urlsplit(origin).scheme == "http" and values["REFLEX_API_URL"] == origin
    assert not settings.cookie_secure  # a Secure cookie would never come back over http
    assert settings.trusted_proxy_hops == 1  # one nginx appends X-Forwarded-For
    assert settings.redis_url and int(values["BILDGEN_WORKERS"]) > 1


def test_a_configuration_file_the_example_names_is_mounted_by_compose():
    values, _ = env_example()
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    if "BILDGEN_CONFIG" in values:
        mounted = {volume.split(":")[1] for volume in compose["x-bildgen"]["volumes"]}
        assert values["BILDGEN_CONFIG"] in mounted


def test_every_setting_the_deployment_guide_names_is_in_the_env_example():
    values, commented = env_example()
    table = GUIDE.read_text().partition("## The settings")[2].partition("\n## ")[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)`", table, re.MULTILINE))
    documented |= {name for line in table.splitlines() for name in re.findall(r"`([A-Z][A-Z_]+)`", line[:60])}
    per_instance = {"BILDGEN_PORT"}  # the unit's %i, compose's per-service environment
    assert documented - per_instance <= set(values) | commented
