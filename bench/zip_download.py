"""Download a 2,000-image board as one ZIP: the serving process's peak memory and the throughput.

Run with `.venv/bin/python -m bench.zip_download` (a minute or two on 2 cores, ~400 MB in a
temporary folder). bildgen's HTTP routes are served by uvicorn in a process of their own; its peak
RSS (VmHWM) is read before and after the download, which is streamed and only counted here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

IMAGES = int(os.environ.get("BENCH_ZIP_IMAGES", "2000"))
SIDE = 256  # noise: every PNG ~190 KiB and distinct, as real generations are


def peak_and_current_mib(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def fill(engine, files) -> tuple[str, str]:
    """A user with IMAGES noise images, all on one board; returns (session token, board id)."""
    import io

    from PIL import Image as Picture
    from sqlmodel import select

    from bildgen.auth import sessions
    from bildgen.boards import core as boards
    from bildgen.store.db import session
    from bildgen.store.models import Generation, Image, User

    user = User(username="bench", password_hash="-")
    generation = Generation(
        owner_id=user.id, prompt="noise for the zip bench", model_profile="demo", served_model="demo",
        width=SIDE, height=SIDE, steps=1, guidance=1.0, guidance_field="guidance_scale",
        variant_count=IMAGES, status="done",
    )  # fmt: skip
    with session(engine) as db:
        db.add(user)
        db.flush()
        db.add(generation)
        db.commit()
        for variant in range(IMAGES):
            buffer = io.BytesIO()
            Picture.frombytes("RGB", (SIDE, SIDE), os.urandom(SIDE * SIDE * 3)).save(buffer, "PNG", compress_level=1)
            sha256, _ = files.add(buffer.getvalue())
            db.add(Image(owner_id=user.id, generation_id=generation.id, variant=variant, seed=variant,
                         width=SIDE, height=SIDE, sha256=sha256))  # fmt: skip
        db.commit()
        image_ids = list(db.exec(select(Image.id)).all())
    board = boards.create(engine, user.id, "Bench")
    boards.add_images(engine, user.id, board.id, image_ids)
    return sessions.start(engine, user.id), board.id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["BILDGEN_DATA_DIR"] = folder
        os.environ.pop("REFLEX_DB_URL", None)
        from bildgen.auth import sessions
        from bildgen.routes import ZIP_ROUTE
        from bildgen.services import get_services

        services = get_services()
        started = time.perf_counter()
        token, board_id = fill(services.engine, services.files)
        print(f"{IMAGES} images made in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "bildgen.http:create_api", "--port", str(port),
             "--log-level", "warning"],
            env=os.environ.copy(),
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}{ZIP_ROUTE}"
            while True:  # wait for the server to answer, whatever the load
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            # One small ZIP first: the route's code and imports are loaded before the baseline.
            cookies = {sessions.COOKIE_NAME: token}
            httpx.get(url, params={"ids": "0" * 32}, cookies=cookies, timeout=60)
            # Resets the process's peak RSS to its current RSS (Linux): the peak is the download's own.
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
            baseline_peak, baseline = peak_and_current_mib(server.pid)
            received, began = 0, time.perf_counter()
            with httpx.stream("GET", url, params={"board": board_id}, cookies=cookies, timeout=600) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    received += len(chunk)
            seconds = time.perf_counter() - began
            peak, _ = peak_and_current_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        load = os.getloadavg()[0]
        print(f"| {IMAGES}-image ZIP | {received / 1e6:.0f} MB | {seconds:.1f} s | {received / 1e6 / seconds:.1f} MB/s "
              f"| server RSS before {baseline:.0f} MiB (peak reset to {baseline_peak:.0f}) → peak {peak:.0f} MiB "
              f"| load {load:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
