"""What bildgen costs on top of the inference server; writes bench/results/DATE.json and docs/benchmarks.md.

Run with `scripts/bench`. It starts the demo inference server with a fixed latency per image and
bildgen as in production (`reflex run --env prod`), drives Debian's Chromium with Playwright by
accessible names (as tests/e2e do), and measures the five figures of the benchmark issue. Every figure
is repeated and reported as min / median / max, with the machine's load average when it was taken.

`python -m bench.run --quick` computes every figure once, at small sizes, and writes nothing: the test
command runs it (tests/e2e/test_bench_quick.py) so that a broken benchmark turns the suite red.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import re
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openai
import psutil
from PIL import Image as Picture
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlmodel import select

from bench import report
from bench.measuring import benchmark_generation, finished_job_rows, timings_ms
from bildgen.auth import api_tokens
from bildgen.inference.decoding import to_png
from bildgen.inference.demo.renderer import render
from bildgen.store import gallery, metadata
from bildgen.store.db import make_engine, session
from bildgen.store.files import ImageFiles
from bildgen.store.image_library import stored_recipe
from bildgen.store.models import User
from bildgen.store.thumbnails import make_thumbnail
from tests.servers import AppProcess, DemoServerProcess

LATENCY_S = 2.0


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How much of each figure is measured: the full benchmark, or the quick check the tests run."""

    repeats: int  # one image and four variants through the UI, and the direct SDK call
    gallery_images: int
    gallery_repeats: int
    load_more_clicks: int
    users: int  # generating 4 images each while another tab's events are timed
    idle_round_trips: int
    tabs: int  # opened at once to weigh the backend's memory per tab
    tab_samples: int
    save_repeats: int
    feed_runs: int  # in one account's feed, scrolled to its end


FULL = Sizes(
    repeats=5,
    gallery_images=10_000,
    gallery_repeats=50,
    load_more_clicks=20,
    users=20,
    idle_round_trips=20,
    tabs=40,
    tab_samples=2,
    save_repeats=20,
    feed_runs=2_000,
)
QUICK = Sizes(
    repeats=1,
    gallery_images=300,
    gallery_repeats=2,
    load_more_clicks=2,
    users=2,
    idle_round_trips=2,
    tabs=3,
    tab_samples=1,
    save_repeats=2,
    feed_runs=60,
)
CHROMIUM = dict(
    executable_path="/usr/bin/chromium",
    args=[
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
)
PASSWORD = "benchmark passphrase"

# Click Generate (found by its accessible name), then wait in the page for this run's images to be
# loaded: all timing in the browser.
GENERATE_AND_TIME = """async (button, count) => {
  const shown = () => [...document.querySelectorAll('[role="article"] img[alt^="Generated image"], article img[alt^="Generated image"]')];
  const old = new Set(shown().map((img) => img.src));
  const started = performance.now();
  button.click();
  const ready = () => shown().filter((img) => !old.has(img.src) && img.complete && img.naturalWidth > 0).length >= count;
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5));
  return performance.now() - started;
}"""

# An unrelated event that needs the backend: choose an image count, wait for the summary to change.
ROUND_TRIP = """async ([radio, summary]) => {
  const before = summary.textContent;
  const started = performance.now();
  radio.click();
  while (summary.textContent === before) await new Promise((resolve) => setTimeout(resolve, 2));
  return performance.now() - started;
}"""


def sign_up(page: Page, app: AppProcess) -> str:
    username = f"bench-{uuid.uuid4().hex[:10]}"
    page.goto(f"{app.url}/sign-up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("status").filter(has_text="Demo renderer").wait_for(timeout=60_000)
    return username


def prepare_studio(page: Page, prompt: str, count: int) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("radio", name=str(count)).click()
    expect(page.get_by_label("Effective parameters")).to_contain_text(f"{count} image")


# ---- 1 and 2: end to end through the UI -------------------------------------------------------


def sdk_seconds(base_url: str, runs: int, *, api_key: str = "none", model: str = "bildgen-demo") -> list[float]:
    """The same request straight to the server (the sync client: Playwright's sync API owns the loop)."""
    samples = []
    with openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0) as client:
        for _ in range(runs):
            started = time.perf_counter()
            answer = client.images.generate(
                prompt="a lighthouse in a storm",
                model=model,
                n=1,
                size="1024x1024",
                response_format="b64_json",
                extra_body={"seed": 7, "num_inference_steps": 20, "guidance_scale": 4.0},
            )
            assert answer.data and answer.data[0].b64_json
            samples.append(time.perf_counter() - started)
    return samples


def direct_and_v1_seconds(demo: DemoServerProcess, app: AppProcess, username: str, runs: int):
    """The SDK's request sent straight upstream and through bildgen's `/v1`, taking turns."""
    engine = make_engine(f"sqlite:///{app.data_dir / 'bildgen.db'}")
    with session(engine) as db:
        user = db.exec(select(User).where(User.username == username)).one()
    _, token = api_tokens.create(engine, user=user, name="benchmark", expires_in_days=1)
    engine.dispose()
    direct, v1 = [], []
    for _ in range(runs):
        direct += sdk_seconds(demo.base_url, 1)
        v1 += sdk_seconds(f"{app.url}/v1", 1, api_key=token, model="demo")
    return direct, v1


def ui_seconds(page: Page, count: int, runs: int) -> list[float]:
    prepare_studio(page, "a lighthouse in a storm", count)
    generate = page.get_by_role("button", name="Generate")
    return [generate.evaluate(GENERATE_AND_TIME, count) / 1000 for _ in range(runs)]


# ---- 3: a gallery of 10,000 images ------------------------------------------------------------


def seed_gallery(data_dir: Path, username: str, images: int) -> str:
    """Images for one user, straight into the app's database, sharing one stored file."""
    engine = make_engine(f"sqlite:///{data_dir / 'bildgen.db'}")
    files = ImageFiles(data_dir / "images")
    thumbnails = ImageFiles(data_dir / "thumbnails", suffix=".webp")
    with session(engine) as db:
        owner_id = db.exec(select(User).where(User.username == username)).one().id
    png = render("harbour", width=256, height=256, seed=1)
    sha256 = files.save(png)
    thumbnails.save_as(sha256, make_thumbnail(png))
    now = datetime.now(UTC)
    rows: list[object] = []
    for number in range(images):
        rows += finished_job_rows(
            owner_id,
            f"gallery picture number {number} of a quiet harbour",
            number,
            sha256,
            now - timedelta(seconds=images - number),
        )
    with session(engine) as db:
        db.add_all(rows)
        db.commit()
    return owner_id


def gallery_query_ms(data_dir: Path, owner_id: str, sizes: Sizes) -> tuple[list[float], list[float]]:
    engine = make_engine(f"sqlite:///{data_dir / 'bildgen.db'}")
    cursor = None
    # Walk once to about 86 % of the gallery (image 8,600 of 10,000), to find a deep page's cursor.
    for _ in range(max(1, int(sizes.gallery_images * 0.86) // gallery.PAGE_SIZE)):
        cursor = gallery.page(engine, owner_id, after=cursor).next_cursor
    first, deep = [], []
    for _ in range(sizes.gallery_repeats):
        started = time.perf_counter()
        gallery.page(engine, owner_id)
        first.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        gallery.page(engine, owner_id, after=cursor)
        deep.append((time.perf_counter() - started) * 1000)
    return first, deep


def gallery_in_browser(page: Page, app: AppProcess, clicks: int) -> tuple[list[float], int]:
    """Load the gallery and page on with 'Load more'; every frame the server sends is measured."""
    frames: list[int] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(len(payload))))
    page.goto(f"{app.url}/gallery")
    page.get_by_role("button", name="Load more").wait_for(timeout=60_000)
    load_more_ms = []
    # The last tile's accessible name ("Open image: …, seed N"): it changes when the next page is shown.
    last_tile = "[...document.querySelectorAll('[aria-label^=\"Open image\"]')].pop().getAttribute('aria-label')"
    for _ in range(clicks):
        before = page.evaluate(last_tile)
        started = time.perf_counter()
        page.get_by_role("button", name="Load more").click()
        page.wait_for_function(f"{last_tile} !== {before!r}")
        load_more_ms.append((time.perf_counter() - started) * 1000)
    return load_more_ms, max(frames)


def heap_bytes(page: Page) -> float:
    """Chromium's JS heap in use by the tab, after a garbage collection (through the DevTools protocol)."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("HeapProfiler.collectGarbage")
    devtools.send("Performance.enable")
    metrics = {metric["name"]: metric["value"] for metric in devtools.send("Performance.getMetrics")["metrics"]}
    devtools.detach()
    return metrics["JSHeapUsedSize"]


def feed_scrolled_to_the_end(browser: Browser, app: AppProcess, runs: int) -> tuple[list[float], list[float]]:
    """A feed of `runs` runs, scrolled until it ends: the tab's JS heap and the backend's memory (MiB),
    once the first page is shown and again at the end."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    username = sign_up(page, app)
    seed_gallery(app.data_dir, username, runs)
    page.reload()
    earlier = page.get_by_role("button", name="Load earlier runs")
    earlier.wait_for(timeout=60_000)
    heap, backend = [heap_bytes(page) / 2**20], [backend_rss(app) / 2**20]
    end = page.get_by_role("link", name="Earlier runs are in the gallery")
    # assets/studio.js presses 'Load earlier runs' whenever it scrolls into view, as a reader's wheel would.
    deadline = time.monotonic() + 600
    while not end.is_visible() and earlier.count() and time.monotonic() < deadline:
        with contextlib.suppress(PlaywrightError):  # replaced by the next page's button meanwhile
            earlier.scroll_into_view_if_needed(timeout=5_000)
        page.wait_for_timeout(100)
    heap.append(heap_bytes(page) / 2**20)
    backend.append(backend_rss(app) / 2**20)
    page.context.close()
    return heap, backend


# ---- 4: many users at once --------------------------------------------------------------------


def round_trip_ms(page: Page, count: int) -> float:
    radio = page.get_by_role("radio", name=str(count)).element_handle()
    summary = page.get_by_label("Effective parameters").element_handle()
    return page.evaluate(ROUND_TRIP, [radio, summary])


def round_trips_under_load(
    browser: Browser, app: AppProcess, sizes: Sizes, latency_s: float
) -> tuple[list[float], list[float]]:
    pages = []
    for _ in range(sizes.users):
        page = browser.new_context().new_page()
        sign_up(page, app)
        prepare_studio(page, "twenty people at once", 4)
        pages.append(page)
    observer = browser.new_context().new_page()
    sign_up(observer, app)
    idle = [round_trip_ms(observer, 2 + index % 2) for index in range(sizes.idle_round_trips)]
    for page in pages:  # a click each, as fast as the pages can be told
        page.get_by_role("button", name="Generate").evaluate("(button) => button.click()")
    busy = []
    deadline = time.monotonic() + latency_s * 4
    index = 0
    while time.monotonic() < deadline:
        busy.append(round_trip_ms(observer, 2 + index % 2))
        index += 1
    for page in pages:  # each user's one run, with all four images shown
        last_image = page.get_by_role("article").first.get_by_role("img", name=re.compile(r"^Generated image 4,"))
        last_image.wait_for(timeout=120_000)
        page.context.close()
    observer.context.close()
    return idle, busy


# ---- 5: memory per tab and the cost of saving one image ---------------------------------------


def backend_rss(app: AppProcess) -> int:
    root = psutil.Process(app.process.pid)
    return sum(
        process.memory_info().rss for process in [root, *root.children(recursive=True)] if "python" in process.name()
    )


def memory_per_tab(browser: Browser, app: AppProcess, sizes: Sizes) -> list[float]:
    samples = []
    for _ in range(sizes.tab_samples):
        before = backend_rss(app)
        context = browser.new_context()
        first = context.new_page()
        sign_up(first, app)
        for _ in range(sizes.tabs - 1):
            tab = context.new_page()
            tab.goto(app.url)
            tab.get_by_role("status").filter(has_text="Demo renderer").wait_for(timeout=60_000)
        time.sleep(2)
        samples.append((backend_rss(app) - before) / sizes.tabs / 1024)
        context.close()
        time.sleep(2)
    return samples


def save_cost_ms(work: Path, repeats: int) -> tuple[list[float], list[float]]:
    """bildgen's whole save of one 1024² image next to the bare Pillow work on the same bytes."""
    png = render("a lighthouse in a storm", width=1024, height=1024, seed=7)
    generation = benchmark_generation("a lighthouse in a storm")
    stores = iter(
        (ImageFiles(work / f"save-{n}" / "images"), ImageFiles(work / f"save-{n}" / "thumbnails", suffix=".webp"))
        for n in range(repeats)
    )
    plain = iter(work / f"save-{n}" / "plain.png" for n in range(repeats))

    def ours() -> None:
        files, thumbnails = next(stores)
        stored = metadata.embed(to_png(png).png, stored_recipe(generation, 7))
        thumbnails.save_as(files.save(stored), make_thumbnail(stored))

    def floor() -> None:
        with Picture.open(io.BytesIO(png)) as image:
            image.load()
            image.thumbnail((384, 384))
            image.save(io.BytesIO(), format="WEBP")
        next(plain).write_bytes(png)

    return timings_ms(ours, repeats), timings_ms(floor, repeats)


# ---- all of them ------------------------------------------------------------------------------


def measure(browser: Browser, app: AppProcess, demo: DemoServerProcess, sizes: Sizes, work: Path) -> report.Run:
    """Every figure, against a running app whose default model is served by `demo`."""
    run = report.Run(latency_s=demo.latency)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    username = sign_up(page, app)
    direct, through_v1 = direct_and_v1_seconds(demo, app, username, sizes.repeats)
    sdk = run.add("sdk", "1. the same request through the openai SDK directly", "s", direct)
    v1 = run.add("v1", "1. the same request through bildgen's `/v1` API", "s", through_v1)
    one = run.add("ui_one", "1. one 1024² image, click → shown in the browser", "s", ui_seconds(page, 1, sizes.repeats))
    four = run.add("ui_four", "2. four variants, click → all four shown", "s", ui_seconds(page, 4, sizes.repeats))
    owner_id = seed_gallery(app.data_dir, username, sizes.gallery_images)
    first_page, deep_page = gallery_query_ms(app.data_dir, owner_id, sizes)
    first = run.add(
        "gallery_first", f"3. gallery first page, server query ({sizes.gallery_images:,} images)", "ms", first_page
    )
    deep = run.add("gallery_deep", "3. gallery deep page (86 % of the way), server query", "ms", deep_page)
    load_more, largest_frame = gallery_in_browser(page, app, sizes.load_more_clicks)
    more = run.add("load_more", "3. gallery 'Load more' in the browser, click → tiles", "ms", load_more)
    frame = run.add("largest_frame", "3. largest websocket frame, gallery", "bytes", [largest_frame])
    page.context.close()
    idle, busy = round_trips_under_load(browser, app, sizes, demo.latency)
    run.add("round_trip_idle", "4. round trip of an unrelated event, idle", "ms", idle)
    loaded = run.add("round_trip_busy", f"4. the same while {sizes.users} users generate 4 images each", "ms", busy)
    memory = run.add(
        "memory_per_tab", "5. backend memory per connected tab", "KiB", memory_per_tab(browser, app, sizes)
    )
    heap, backend = feed_scrolled_to_the_end(browser, app, sizes.feed_runs)
    tab_heap = run.add(
        "feed_heap", f"6. a {sizes.feed_runs:,}-run feed: the tab's JS heap, first page, end", "MiB", heap
    )
    tab_backend = run.add(
        "feed_backend", f"6. a {sizes.feed_runs:,}-run feed: backend memory, first page, end", "MiB", backend
    )
    ours, floor = save_cost_ms(work, sizes.save_repeats)
    saving = run.add("save", "5. saving one 1024² image: bildgen (decode, chunks, hash, fsync, thumbnail)", "ms", ours)
    pillow = run.add("save_floor", "5. the bare Pillow floor (decode, thumbnail, plain write)", "ms", floor)
    run.headline = {
        "ui_over_sdk": one.median / sdk.median,
        "four_over_one": four.median / one.median,
        "gallery_first_p50": first.median,
        "gallery_deep_p50": deep.median,
        "largest_frame": frame.median,
        "load_more_p50": more.median,
        "round_trip_p95": report.percentile(loaded.samples, 0.95),
        "memory_per_tab": memory.median,
        "saving_over_floor": saving.median / pillow.median,
        "v1_over_upstream": v1.median / sdk.median,
        "feed_heap_end": tab_heap.samples[-1],
        "feed_backend_growth": tab_backend.samples[-1] - tab_backend.samples[0],
    }
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every figure once, at small sizes; writes nothing")
    parser.add_argument("--label", default="", help="names the run in docs/benchmarks.md (default: today's date)")
    arguments = parser.parse_args()
    quick = arguments.quick
    sizes = QUICK if quick else FULL
    work = Path(tempfile.mkdtemp(prefix="bildgen-bench-"))
    demo = DemoServerProcess(latency=LATENCY_S).start()
    config = work / "bildgen.toml"
    config.write_text(
        f'default_model = "demo"\n[models.demo]\nlabel = "Demo"\nbase_url = "{demo.base_url}"\nfamily = "generic"\n'
    )
    app = AppProcess(data_dir=work / "data", config=config).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**CHROMIUM)
            run = measure(browser, app, demo, sizes, work)
            run.label = arguments.label
            browser.close()
    finally:
        app.stop()
        demo.stop()
        shutil.rmtree(work, ignore_errors=True)
    if not quick:
        print(f"wrote {run.save()} and {report.DOCUMENT}")


if __name__ == "__main__":
    main()
