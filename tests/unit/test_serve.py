"""scripts/serve.py: what an operator sees when the worker settings cannot work."""

import os
import subprocess
import sys

from tests.servers import REPO_ROOT


def serve(**environment: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("BILDGEN_", "REFLEX_"))}
    return subprocess.run(
        [sys.executable, "scripts/serve.py"],
        cwd=REPO_ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_without_redis_stop_start_up_with_a_plain_reason():
    result = serve(BILDGEN_WORKERS="3")
    assert result.returncode != 0
    assert "BILDGEN_WORKERS=3 needs REFLEX_REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_count_that_is_not_a_number_is_named():
    result = serve(BILDGEN_WORKERS="many")
    assert result.returncode != 0
    assert "BILDGEN_WORKERS='many'" in result.stderr


def test_serving_without_a_build_says_to_run_scripts_build(tmp_path):
    result = serve(REFLEX_WEB_WORKDIR=str(tmp_path / "web"), BILDGEN_DATA_DIR=str(tmp_path / "data"))
    assert result.returncode != 0
    assert "run scripts/build first" in result.stderr
    assert "Traceback" not in result.stderr
