"""Log lines as a collector reads them: one JSON object per line when asked, with the job's context."""

import json
import subprocess
import sys

SCRIPT = """
import logging
from bildgen.ops.logs import configure_logging
configure_logging({env!r})
configure_logging({env!r})  # twice: still one line per record
logging.getLogger("bildgen.jobs.runner").info(
    "job %s finished", "j1", extra={{"job_id": "j1", "user_id": "u1", "profile": "demo", "duration_s": 2.5}}
)
logging.getLogger("bildgen.jobs.runner").debug("not shown at INFO")
"""


def logged(env: dict) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(env=env)], capture_output=True, text=True, check=True)
    return done.stderr.splitlines()


def test_json_lines_carry_the_message_level_and_context():
    (line,) = logged({"BILDGEN_LOG_FORMAT": "json"})
    record = json.loads(line)
    assert record["message"] == "job j1 finished" and record["level"] == "INFO"
    assert record["name"] == "bildgen.jobs.runner" and record["time"]
    assert (record["job_id"], record["user_id"], record["profile"], record["duration_s"]) == ("j1", "u1", "demo", 2.5)


def test_text_is_the_default_and_the_level_can_be_raised_or_lowered():
    (line,) = logged({})
    assert "INFO bildgen.jobs.runner: job j1 finished" in line
    assert len(logged({"BILDGEN_LOG_LEVEL": "debug"})) == 2
    assert logged({"BILDGEN_LOG_LEVEL": "warning"}) == []
