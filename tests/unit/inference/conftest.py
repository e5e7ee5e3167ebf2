import pytest

from bildgen.inference import client


@pytest.fixture(autouse=True)
def closed_breakers():
    """Each test starts with every server's circuit breaker closed, as a fresh process would."""
    client.reset_breakers()
    yield
    client.reset_breakers()
