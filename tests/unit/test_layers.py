"""The fronts (states, the /v1 API, the HTTP routes) start, cancel and store through generation/: none of
them calls the job queue's write functions. (Module-level rules are in .importlinter.)"""

import ast
from pathlib import Path

import bildgen

FRONTS = ("state", "api", "http")
# jobs/queue.py's write side: what only generation/ and the workers may call.
QUEUE_WRITES = {
    "submit",
    "request_cancel",
    "request_cancel_batch",
    "claim",
    "renew_leases",
    "take_back",
    "hand_back",
    "finish",
    "record_served_model",
    "record_sent_settings",
    "record_variant_error",
}


def queue_writes_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr in QUEUE_WRITES:
            if isinstance(node.value, ast.Name) and node.value.id == "queue":
                found.append(f"{path.name}:{node.lineno} queue.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "bildgen.jobs.queue":
            found += [f"{path.name}:{node.lineno} {alias.name}" for alias in node.names if alias.name in QUEUE_WRITES]
    return found


def test_no_front_calls_the_queues_write_functions():
    root = Path(bildgen.__file__).parent
    modules = [path for front in FRONTS for path in sorted((root / front).glob("*.py"))]
    assert len(modules) > 20
    assert [call for path in modules for call in queue_writes_in(path)] == []


def test_the_queues_write_side_and_its_read_model_are_separate_modules():
    from bildgen.jobs import queue, views

    assert all(callable(getattr(queue, name, None)) for name in QUEUE_WRITES)
    assert not QUEUE_WRITES & set(vars(views))
    assert {"view", "runs", "run", "latest", "active_jobs"} <= set(vars(views))
    assert not {"view", "runs", "run", "latest", "active_jobs"} & set(vars(queue))


def test_the_check_finds_a_direct_call(tmp_path):
    module = tmp_path / "front.py"
    module.write_text("from bildgen.jobs import queue\nqueue.submit(engine, job)\n")
    assert queue_writes_in(module) == ["front.py:2 queue.submit"]
