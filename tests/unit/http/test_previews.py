"""The service's live preview of an image being made: a small file served to its owner only, by URL,
and gone once the image is done."""

import asyncio

from bildgen import routes
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.jobs import queue, views
from tests.jobs import submission, wait_until_final
from tests.unit.conftest import make_user
from tests.unit.http.test_images import client_for


def test_a_webuis_live_preview_is_served_to_the_owner_while_the_image_is_made(fresh_services, tmp_path, monkeypatch):
    webui = start_demo_server(DemoOptions(flavor="automatic1111", latency_per_image=4.0))
    try:
        config = tmp_path / "bildgen.toml"
        config.write_text(
            f'default_model = "sd"\n[models.sd]\nlabel = "SD"\nprovider = "automatic1111"\nbase_url = "{webui.origin}"\n'
        )
        monkeypatch.setenv("BILDGEN_CONFIG", str(config))
        services = fresh_services.get_services()
        anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")

        def fetch(user, url):
            return client_for(services, user).get("/_upload/" + url)

        async def go():
            async with services.runner.running() as runner:
                job_id = queue.submit(services.engine, submission(anna, services.catalog.default, seeds=[4]))
                runner.wake()
                async with asyncio.timeout(20):
                    while True:
                        job = await asyncio.to_thread(views.view, services.engine, job_id, owner_id=anna.id)
                        version = job.variants.get(0) and job.variants[0].preview_version
                        if version:
                            break
                        await asyncio.sleep(0.1)
                url = routes.preview_upload_path(job_id, 0, version)
                seen = await asyncio.to_thread(fetch, anna, url)
                refused = await asyncio.to_thread(fetch, bob, url)
                done = await wait_until_final(services.engine, job_id, anna.id)
                after = await asyncio.to_thread(fetch, anna, url)
                return seen, refused, done, after

        seen, refused, done, after = asyncio.run(go())
    finally:
        webui.stop()
    assert seen.status_code == 200
    assert seen.headers["content-type"] == "image/jpeg"
    assert "no-store" in seen.headers["cache-control"]
    assert refused.status_code == 404
    assert done.status == "done" and done.variants[0].preview_version is None
    assert after.status_code == 404
    assert not list(services.images.previews.stored())
