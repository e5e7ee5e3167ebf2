"""Content Credentials in the large view: bildgen's own images verify, a file changed on disk
fails, and an uploaded reference that arrived signed is named with its signer."""

import re

from playwright.sync_api import expect

from bildgen.inference.demo.renderer import render
from bildgen.inference.demo.signed import sign_as_service
from tests.e2e.conftest import generate_and_wait
from tests.e2e.test_models_and_modes import add_references


def credentials_row(dialog):
    return dialog.get_by_role("row", name=re.compile(r"^Content Credentials"))


def newest_image_file(app_data_dir):
    return max((app_data_dir / "images").glob("*/*.png"), key=lambda path: path.stat().st_mtime_ns)


def test_an_image_shows_valid_credentials_and_fails_once_its_file_is_changed(studio, app_data_dir):
    studio.get_by_label("Prompt", exact=True).fill("a signed lighthouse")
    generate_and_wait(studio)

    studio.get_by_role("button", name="View image 1 large").click()
    dialog = studio.get_by_role("dialog", name="Image details")
    expect(credentials_row(dialog)).to_contain_text(
        re.compile(r"valid, signed by bildgen demo \(TEST CERTIFICATE.*\), made with bildgen \S+ \(.+\)")
    )
    studio.keyboard.press("Escape")

    # Someone changes the stored file: a few bytes in the middle of its pixel data.
    path = newest_image_file(app_data_dir)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4] = bytes(255 - value for value in data[middle : middle + 4])
    path.write_bytes(bytes(data))

    studio.get_by_role("button", name="View image 1 large").click()
    expect(credentials_row(dialog)).to_contain_text("invalid: the file was changed after it was signed")


def test_a_reference_that_arrived_signed_is_named_with_its_signer(studio, tmp_path):
    signed = tmp_path / "signed-elsewhere.png"
    signed.write_bytes(sign_as_service(render("a photo from elsewhere", width=256, height=256, seed=2)))
    add_references(studio, signed)
    expect(studio.get_by_role("img", name="Reference image 1: signed-elsewhere.png")).to_be_visible()
    studio.get_by_label("Prompt", exact=True).fill("the same, at night")
    generate_and_wait(studio)

    studio.get_by_role("button", name="View image 1 large").click()
    dialog = studio.get_by_role("dialog", name="Image details")
    expect(credentials_row(dialog)).to_contain_text("valid, signed by bildgen demo")
    expect(dialog.get_by_role("row", name=re.compile(r"^Reference's Content Credentials"))).to_contain_text(
        "signed-elsewhere.png: valid, signed by demo image service (TEST CERTIFICATE)"
    )


def test_downloads_without_metadata_are_offered_only_while_the_administrator_allows_them(
    administrator, studio, app_url
):
    admin, _ = administrator
    studio.get_by_label("Prompt", exact=True).fill("a plain harbour")
    generate_and_wait(studio)
    studio.get_by_role("button", name="View image 1 large").click()
    dialog = studio.get_by_role("dialog", name="Image details")
    expect(credentials_row(dialog)).to_contain_text("valid, signed by")
    expect(dialog.get_by_role("link", name="Download without metadata")).to_have_count(0)
    studio.keyboard.press("Escape")

    admin.goto(f"{app_url}/admin")
    admin.get_by_label("Organisation named in every image").fill("Stadtwerke Süd")
    allow = admin.get_by_role("checkbox", name="Allow downloads without metadata (each is recorded in the audit log)")
    allow.click()
    admin.get_by_role("button", name="Apply credential settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")
    expect(admin.get_by_text("Images are signed by: bildgen demo (TEST CERTIFICATE")).to_be_visible()
    try:
        studio.get_by_role("button", name="View image 1 large").click()
        expect(dialog.get_by_role("link", name="Download without metadata")).to_be_visible()
    finally:
        admin.reload()
        allow = admin.get_by_role(
            "checkbox", name="Allow downloads without metadata (each is recorded in the audit log)"
        )
        expect(allow).to_be_checked()
        allow.click()
        admin.get_by_role("button", name="Apply credential settings").click()
        expect(admin.get_by_role("status")).to_have_text("Saved.")
