"""Groups in the browser: an administrator makes a group, restricts it to one model and exports usage
per group as CSV; a member sees only that model in the studio and on the account page, and is refused
another one over /v1."""

import csv
import uuid

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_LABEL, FLUX_LABEL, generate_and_wait, sign_up
from tests.e2e.test_accessibility import severe_findings
from tests.e2e.test_api_tokens import create_token


def test_a_group_restricted_to_one_model_and_its_usage_as_csv(administrator, browser, app_url):
    admin, _ = administrator
    context = browser.new_context()
    member = context.new_page()
    member_name = sign_up(member, app_url)
    group = f"Interns {uuid.uuid4().hex[:6]}"

    admin.goto(f"{app_url}/admin/groups")
    admin.get_by_label("New group").fill(group)
    admin.get_by_role("button", name="Make group").click()
    expect(admin.get_by_role("status")).to_have_text(f"Group {group} made.")
    admin.get_by_label("Username").fill(member_name)
    admin.get_by_role("button", name="Add to group").click()
    expect(admin.get_by_role("status")).to_have_text(f"{member_name} is in {group} now.")
    admin.get_by_role("checkbox", name="Restrict this group to the models ticked below").click()
    admin.get_by_role("checkbox", name=FLUX_LABEL, exact=True).click()
    admin.get_by_role("button", name="Save models").click()
    expect(admin.get_by_role("status")).to_have_text(f"Models of {group} saved. They apply to the next generation.")
    expect(admin.get_by_role("row").filter(has_text=group)).to_contain_text(FLUX_LABEL)
    assert severe_findings(admin) == []  # the Groups page with a group's editor open

    # The member's studio offers that model only, and it generates.
    member.reload()
    picker = member.get_by_role("combobox", name="Model")
    expect(picker).to_contain_text(FLUX_LABEL)
    picker.click()
    expect(member.get_by_role("option")).to_have_count(1)
    expect(member.get_by_role("option", name=FLUX_LABEL, exact=True)).to_be_visible()
    member.keyboard.press("Escape")
    member.get_by_label("Prompt", exact=True).fill("a lighthouse for the interns")
    generate_and_wait(member)

    # The account page says so; /v1 lists that model only and refuses another, naming the model.
    member.goto(f"{app_url}/account")
    expect(member.get_by_text(f"Your groups: {group}")).to_be_visible()
    expect(member.get_by_text(f"Models you may use: {FLUX_LABEL}")).to_be_visible()
    assert severe_findings(member) == []
    headers = {"Authorization": f"Bearer {create_token(member, 'script')}"}
    models = httpx.get(f"{app_url}/v1/models", headers=headers, timeout=30).json()["data"]
    assert [model["id"] for model in models] == ["flux"]
    refused = httpx.post(
        f"{app_url}/v1/images/generations",
        headers=headers,
        json={"model": "demo", "prompt": "a fox", "size": "256x256"},
        timeout=60,
    )
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert (error["param"], error["code"]) == ("model", "model_not_allowed")
    assert f"Your groups do not allow {DEMO_LABEL}" in error["message"]

    # The administrator's report counts the member's run for the group, and exports it as CSV.
    admin.reload()
    report = admin.get_by_role("region", name="Usage per group and profile")
    expect(report.get_by_role("row").filter(has_text=group)).to_contain_text(FLUX_LABEL)
    with admin.expect_download() as download:
        report.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.startswith("bildgen-usage-")
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.reader(exported))
    assert rows[0][:5] == ["group", "profile_id", "profile", "runs", "images"]
    assert [group, "flux", FLUX_LABEL, "1", "1"] in [row[:5] for row in rows]
    context.close()
