"""scripts/backup and scripts/restore as an operator runs them: a backup made while people keep
generating (through the API, the runner and the demo image server) restores into an empty instance
where every image, reference and mask opens and every image still carries its recipe."""

import io
import json
import os
import subprocess
import threading
import time

from PIL import Image
from sqlmodel import select

from bildgen import services as services_module
from bildgen.store import metadata
from bildgen.store.db import session
from bildgen.store.models import EditMask, Generation, ReferenceImage
from bildgen.store.models import Image as ImageRow
from tests.servers import REPO_ROOT
from tests.unit.api.conftest import SMALL, png
from tests.unit.conftest import TEST_DB, _fresh_database

GENERATE = {"model": "demo", "prompt": "a harbour at dawn", "size": SMALL}


def run(script: str, folder, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [f"scripts/{script}", str(folder)],
        cwd=REPO_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )


def keep_generating(client, stop: threading.Event, made: list[str]) -> None:
    while not stop.is_set():
        response = client.post("images/generations", json={**GENERATE, "n": 2, "async": True})
        if response.status_code == 429:  # the token's request bucket: wait as told
            time.sleep(int(response.headers["retry-after"]))
        else:
            made.append(response.json()["id"])


def opens(path) -> Image.Image:
    image = Image.open(io.BytesIO(path.read_bytes()))
    image.load()  # decodes every pixel: a truncated file fails here
    return image


def test_a_backup_under_load_restores_into_an_empty_instance_where_every_image_opens(
    bildgen, tmp_path, request, monkeypatch
):
    _, token = bildgen.user_and_token("anna")
    with bildgen.http(token) as client:
        assert client.post("images/generations", json={**GENERATE, "n": 2}).status_code == 200
        edit = client.post(
            "images/edits",
            data={"model": "demo", "prompt": "bluer", "size": SMALL},
            files=[("image[]", ("photo.png", png(), "image/png"))],
        )
        assert edit.status_code == 200
        stop, made = threading.Event(), []
        load = threading.Thread(target=keep_generating, args=(client, stop, made))
        load.start()
        try:
            while len(made) < 3:  # jobs are being queued and run while the backup is made
                time.sleep(0.1)
            backup = run("backup", tmp_path / "backup")
        finally:
            stop.set()
            load.join()
    assert backup.returncode == 0, backup.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["missing_files"] == [] and manifest["images"] >= 3 and manifest["references"] == 1
    assert not (tmp_path / "backup.partial").exists()

    restored_dir = tmp_path / "restored"
    if TEST_DB == "sqlite":
        environment = {"BILDGEN_DATA_DIR": str(restored_dir), "REFLEX_DB_URL": ""}
    else:
        empty = _fresh_database(request, tmp_path / "restored-db", migrated=False)
        environment = {"BILDGEN_DATA_DIR": str(restored_dir), "REFLEX_DB_URL": empty}
    restored = run("restore", tmp_path / "backup", **environment)
    assert restored.returncode == 0, restored.stderr
    again = run("restore", tmp_path / "backup", **environment)
    assert again.returncode == 1 and "empty instance" in again.stderr and "Traceback" not in again.stderr

    # The restored instance, as bildgen builds it at start.
    original = bildgen.services
    bildgen.stop()
    original.demo_server.stop()
    original.engine.dispose()
    monkeypatch.setenv("BILDGEN_DATA_DIR", environment["BILDGEN_DATA_DIR"])
    if environment["REFLEX_DB_URL"]:
        monkeypatch.setenv("REFLEX_DB_URL", environment["REFLEX_DB_URL"])
    else:
        monkeypatch.delenv("REFLEX_DB_URL", raising=False)
    services_module._build.cache_clear()
    services = services_module.get_services()
    with session(services.engine) as db:
        images = db.exec(select(ImageRow, Generation).where(ImageRow.generation_id == Generation.id)).all()
        references = db.exec(select(ReferenceImage.sha256)).all()
        masks = db.exec(select(EditMask.sha256)).all()
    assert len({image.sha256 for image, _ in images}) == manifest["images"]
    for image, generation in images:
        assert opens(services.files.path_for(image.sha256)).size == (image.width, image.height)
        recipe = metadata.read(services.files.path_for(image.sha256).read_bytes())
        assert recipe is not None and recipe.prompt == generation.prompt and recipe.seed == image.seed
    for sha256 in [*references, *masks]:
        opens(services.references.path_for(sha256))
    assert len(references) == 1
