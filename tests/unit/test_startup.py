import os
import subprocess
import sys

from tests.servers import REPO_ROOT


def test_a_broken_config_file_stops_start_up_with_a_message_naming_file_key_and_problem(tmp_path):
    config = tmp_path / "bildgen.toml"
    config.write_text(
        'default_model = "a"\n[models.a]\nlabel = "A"\nbase_url = "http://gpu:8000/v1"\nfamily = "sdxl"\n'
    )
    environment = {**os.environ, "BILDGEN_CONFIG": str(config), "BILDGEN_DATA_DIR": str(tmp_path / "data")}
    started = subprocess.run(
        [sys.executable, "-c", "import bildgen.bildgen"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 1
    assert f"bildgen cannot start: {config}: models.a.family:" in started.stderr
    assert "Traceback" not in started.stderr
