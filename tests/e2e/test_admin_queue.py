"""An administrator sees every user's waiting and running jobs at /admin/queue and can cancel any of them."""

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import sign_up

REFRESH_MS = 10_000  # the page refreshes every 3 s


def test_an_administrator_cancels_another_users_running_job(administrator, browser, app_url, demo_server):
    admin, admin_name = administrator
    admin.goto(f"{app_url}/admin/queue")
    expect(admin.get_by_role("heading", name="Queue")).to_be_visible()

    bob_context = browser.new_context()
    bob = bob_context.new_page()
    bob_name = sign_up(bob, app_url)
    httpx.post(f"http://127.0.0.1:{demo_server.port}/_demo/fault", json={"fault": "hang", "times": 1})
    bob.get_by_role("radio", name="1").click()
    bob.get_by_label("Prompt", exact=True).fill("a lighthouse that never finishes")
    bob.get_by_role("button", name="Generate").click()
    expect(bob.get_by_role("status", name="Image 1 is being generated")).to_be_visible()

    # The open page picks the new job up by itself.
    cancel = admin.get_by_role("button", name=f"Cancel job of {bob_name}: a lighthouse that never finishes")
    expect(cancel).to_be_visible(timeout=REFRESH_MS)
    row = admin.get_by_role("row").filter(has=cancel)
    expect(row).to_contain_text("Running")
    expect(row).to_contain_text("running since")

    cancel.click()
    expect(admin.get_by_role("status").filter(has_text=f"stop the job of {bob_name}")).to_be_visible()
    expect(cancel).to_have_count(0, timeout=REFRESH_MS)
    expect(bob.get_by_text("Image 1: cancelled.")).to_be_visible(timeout=REFRESH_MS)
    expect(bob.get_by_role("button", name="Generate")).to_be_enabled()

    # Who cancelled whose job is in the audit log.
    admin.get_by_role("link", name="Audit log").click()
    entry = admin.get_by_role("row").filter(has_text="Job cancelled by an administrator").filter(has_text=bob_name)
    expect(entry.first).to_contain_text(admin_name)
    expect(entry.first).to_contain_text("a lighthouse that never finishes")
    bob_context.close()


def test_a_waiting_job_shows_its_place_and_is_cancelled_at_once(administrator, browser, app_url, demo_server):
    admin, _ = administrator
    contexts = [browser.new_context(), browser.new_context()]
    carl, dora = (context.new_page() for context in contexts)
    carl_name, dora_name = sign_up(carl, app_url), sign_up(dora, app_url)
    # The demo profile works on 4 images at once: Carl's 4 hanging variants keep Dora's job waiting.
    httpx.post(f"http://127.0.0.1:{demo_server.port}/_demo/fault", json={"fault": "hang", "times": 4})
    carl.get_by_role("radio", name="4").click()
    carl.get_by_label("Prompt", exact=True).fill("four hanging foxes")
    carl.get_by_role("button", name="Generate").click()
    expect(carl.get_by_role("status", name="Image 4 is being generated")).to_be_visible()
    dora.get_by_role("radio", name="1").click()
    dora.get_by_label("Prompt", exact=True).fill("one patient owl")
    dora.get_by_role("button", name="Generate").click()
    expect(dora.get_by_text("Waiting for the image server")).to_be_visible()

    admin.goto(f"{app_url}/admin/queue")
    running = admin.get_by_role("button", name=f"Cancel job of {carl_name}: four hanging foxes")
    waiting = admin.get_by_role("button", name=f"Cancel job of {dora_name}: one patient owl")
    expect(admin.get_by_role("row").filter(has=running)).to_contain_text("Running")
    row = admin.get_by_role("row").filter(has=waiting)
    expect(row).to_contain_text("Waiting")
    expect(row).to_contain_text("waiting since")
    expect(row).to_contain_text("next")

    waiting.click()
    expect(admin.get_by_role("status").filter(has_text=f"Cancelled the job of {dora_name}.")).to_be_visible()
    expect(waiting).to_have_count(0)
    running.click()
    expect(running).to_have_count(0, timeout=REFRESH_MS)
    for context in contexts:
        context.close()


def test_someone_who_is_not_an_administrator_is_refused(administrator, page, app_url):
    sign_up(page, app_url)  # the administrator exists already: this account is an ordinary one
    expect(page.get_by_role("link", name="Queue")).to_have_count(0)
    page.goto(f"{app_url}/admin/queue")
    expect(page.get_by_role("alert")).to_contain_text("Only administrators can see the queue.")
    expect(page.get_by_role("table")).to_have_count(0)
