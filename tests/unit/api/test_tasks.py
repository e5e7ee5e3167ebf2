"""Async tasks: 202 with a task at once, status and progress, the result as asked, cancel; tasks are
jobs, so they survive a restart of bildgen; another user's task is the same 404 as a missing one."""

import base64
import time
import uuid

import httpx

from bildgen.auth import audit
from bildgen.jobs import queue
from tests.unit.api.conftest import SMALL, picture, poll
from tests.unit.conftest import make_generation

ASYNC = {"model": "demo", "prompt": "a slow sunrise", "size": SMALL, "async": True}


def is_final(task: dict) -> bool:
    return task["status"] in ("done", "failed", "cancelled")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


def test_an_async_generation_answers_202_at_once_and_its_task_gives_the_images_as_asked(bildgen):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        accepted = client.post("images/generations", json={**ASYNC, "n": 2, "response_format": "url"})
        assert accepted.status_code == 202
        task = accepted.json()
        assert task["object"] == "image.task" and task["status"] in ("queued", "running") and task["n"] == 2
        assert task["status_url"] == f"{bildgen.base_url}/tasks/{task['id']}" == accepted.headers["location"]
        assert task["result"] is None

        done = poll(client, task["status_url"], is_final)
    assert done["status"] == "done" and done["progress"] == 1.0 and done["error"] is None
    urls = [item["url"] for item in done["result"]["data"]]
    assert len(urls) == 2
    assert all(httpx.get(url).headers["content-type"] == "image/png" for url in urls)


def test_a_running_task_is_cancelled_with_delete(bildgen):
    _, token = bildgen.user_and_token("anna")
    bildgen.fault("hang")  # the image server never answers this one
    with bildgen.http(token) as client:
        task = client.post("images/generations", json=ASYNC).json()
        poll(client, task["status_url"], lambda task: task["status"] == "running")
        wait_for(lambda: any(entry["path"].endswith("/generations") for entry in bildgen.demo_requests()))
        cancelling = client.delete(f"tasks/{task['id']}")
        assert cancelling.status_code == 200 and cancelling.json()["id"] == task["id"]
        cancelled = poll(client, task["status_url"], is_final)
        assert cancelled["status"] == "cancelled" and cancelled["error"]["code"] == "cancelled"
        again = client.delete(f"tasks/{task['id']}")
    assert again.status_code == 409 and "already ended" in again.json()["error"]["message"]
    # The image server was told to stop: the hung request was closed.
    wait_for(lambda: any(entry["method"] == "DISCONNECT" for entry in bildgen.demo_requests()))


def test_tasks_survive_a_restart_of_bildgen(bildgen):
    """A task running when bildgen stops goes on after the restart: the images it saved are kept and
    the one in flight is asked again (the demo server is self-hosted: retry_interrupted); a task still
    queued runs after the restart and answers as it was asked."""
    _, token = bildgen.user_and_token("anna")
    bildgen.fault("hang")  # the first of the four images never arrives
    with bildgen.http(token) as client:
        # Four images fill the demo server's four slots: the next task waits in the queue.
        running = client.post("images/generations", json={**ASYNC, "n": 4}).json()
        poll(client, running["status_url"], lambda task: task["status"] == "running" and task["progress"] == 0.75)
        queued = client.post("images/generations", json={**ASYNC, "prompt": "after the restart"}).json()
        assert client.get(queued["status_url"]).json()["status"] == "queued"

    bildgen.restart()

    with bildgen.http(token) as client:  # the same token, a new process
        resumed = poll(client, f"tasks/{running['id']}", is_final)
        assert resumed["status"] == "done" and len(resumed["result"]["data"]) == 4
        finished = poll(client, f"tasks/{queued['id']}", is_final)
    assert finished["status"] == "done"
    # Only the image in flight at the stop was asked for again (from the new process's demo server).
    asked = [e["body"]["prompt"] for e in bildgen.demo_requests() if e["method"] == "POST"]
    assert sorted(asked) == sorted([ASYNC["prompt"], "after the restart"])
    (item,) = finished["result"]["data"]
    assert picture(base64.b64decode(item["b64_json"])).size == (256, 256)


def test_another_users_task_is_the_same_404_as_a_missing_one(bildgen):
    _, anna = bildgen.user_and_token("anna")
    _, bob = bildgen.user_and_token("bob")
    bildgen.fault("hang")
    with bildgen.http(anna) as client:
        task = client.post("images/generations", json=ASYNC).json()
    missing = uuid.uuid4().hex
    with bildgen.http(bob) as client:
        answers = {
            task_id: (client.get(f"tasks/{task_id}"), client.delete(f"tasks/{task_id}"))
            for task_id in (task["id"], missing)
        }
    for task_id, (read, cancel) in answers.items():
        for response in (read, cancel):
            assert response.status_code == 404
            assert response.json() == {
                "error": {
                    "message": f"No task {task_id!r}.",
                    "type": "invalid_request_error",
                    "param": "task_id",
                    "code": "not_found",
                }
            }
    # Asking for Anna's task is in the audit log (once per address for a while); a missing id is not.
    (probe,) = audit.page(bildgen.services.engine, action=audit.ACCESS_REFUSED).entries
    assert probe.actor == "bob" and probe.target == f"task {task['id']}" and probe.times == 2
    with bildgen.http(anna) as client:  # Bob's DELETE did not touch it
        assert client.get(f"tasks/{task['id']}").json()["status"] in ("queued", "running")
        client.delete(f"tasks/{task['id']}")


def test_links_point_to_the_configured_address_whatever_host_the_request_names(bildgen):
    """A client that forges `Host` must not get links (status_url, signed image URLs) to its own server."""
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        client.headers["Host"] = "evil.example"
        accepted = client.post("images/generations", json={**ASYNC, "response_format": "url"})
        assert accepted.status_code == 202
        task = accepted.json()
        assert task["status_url"] == f"{bildgen.base_url}/tasks/{task['id']}" == accepted.headers["location"]
        done = poll(client, task["status_url"], is_final)
        (image,) = done["result"]["data"]
    assert image["url"].startswith(f"{bildgen.origin}/")
    assert httpx.get(image["url"]).headers["content-type"] == "image/png"


def test_a_task_interrupted_before_any_image_is_at_progress_0_and_promises_nothing(bildgen):
    anna, token = bildgen.user_and_token("anna")
    job = make_generation(bildgen.services.engine, anna, status="interrupted", error=queue.INTERRUPTED, variant_count=4)
    with bildgen.http(token) as client:
        task = client.get(f"tasks/{job.id}").json()
    assert task["status"] == "failed" and task["error"]["code"] == "interrupted"
    assert task["progress"] == 0.0 and "kept" not in task["error"]["message"]
