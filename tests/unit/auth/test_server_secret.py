import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from bildgen.auth.server_secret import SecretKeyError, derived_key, server_secret


def test_a_key_file_is_made_on_first_start_readable_by_the_owner_only_and_kept(tmp_path):
    first = server_secret(tmp_path, environ={})
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600
    assert server_secret(tmp_path, environ={}) == first


def test_processes_starting_at_once_all_get_the_same_key(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: server_secret(tmp_path, environ={}), range(16)))
    assert len(keys) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["secret.key"]


def test_the_environment_wins_and_a_short_secret_is_refused_without_echoing_it(tmp_path):
    assert server_secret(tmp_path, environ={"BILDGEN_SECRET_KEY": "x" * 40}) == b"x" * 40
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(SecretKeyError) as refused:
        server_secret(tmp_path, environ={"BILDGEN_SECRET_KEY": "hunter2"})
    assert "hunter2" not in str(refused.value)


def test_each_purpose_gets_its_own_key():
    assert derived_key(b"s" * 40, "api-keys") != derived_key(b"s" * 40, "image-urls")
