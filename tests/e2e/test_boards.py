"""Boards in the browser: a team shares a board and one reproduces another's image; bulk actions;
a forged board id over the websocket reaches nothing; German, on a phone."""

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_language, generate_and_wait, sign_up

PHONE = {"width": 390, "height": 844}


def select_box(page, prompt: str):
    return page.get_by_role("checkbox", name=re.compile(rf"^(Select|Auswählen): {re.escape(prompt)}, seed", re.I))


def tiles(page, prompt: str):
    return page.get_by_role("button", name=re.compile(rf"^Open image: {re.escape(prompt)}, seed"))


def open_gallery(page, app_url, query: str = "") -> None:
    page.goto(f"{app_url}/gallery{query}")
    expect(page.get_by_role("combobox", name="Filter by board")).to_be_visible()


def make_board(page, name: str) -> None:
    page.get_by_label("New board name").fill(name)
    page.get_by_role("button", name="Make board").click()
    expect(page.get_by_role("status").filter(has_text=f"Board “{name}” made.")).to_be_visible()


def show_board(page, label: str) -> str:
    page.get_by_role("combobox", name="Filter by board").click()
    page.get_by_role("option", name=label).click()
    expect(page).to_have_url(re.compile(r"\?board=[0-9a-f]{32}$"))
    return re.search(r"board=([0-9a-f]{32})", page.url)[1]


@pytest.fixture
def team(browser, app_url):
    """Bob and Cleo have accounts; Anna (signed up last) has made three images of a lighthouse."""
    contexts = [browser.new_context(accept_downloads=True) for _ in range(3)]
    bob, cleo, anna = (context.new_page() for context in contexts)
    names = {page: sign_up(page, app_url) for page in (bob, cleo, anna)}
    anna.get_by_label("Prompt", exact=True).fill("annas lighthouse at dusk")
    anna.get_by_role("radio", name="3").click()
    generate_and_wait(anna, count=3)
    yield anna, bob, cleo, names
    for context in contexts:
        context.close()


def test_a_team_shares_a_board_and_a_colleague_reproduces_an_image_in_their_own_studio(team, app_url):
    anna, bob, cleo, names = team
    prompt = "annas lighthouse at dusk"
    open_gallery(anna, app_url)
    make_board(anna, "Campaign X")
    # Click the first, Shift-click the third: all three.
    boxes = select_box(anna, prompt)
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(anna.get_by_role("status").filter(has_text="3 selected")).to_be_visible()
    anna.get_by_role("button", name="Add to board").click()
    anna.get_by_role("menuitem", name="Campaign X (0)").click()
    expect(anna.get_by_role("status").filter(has_text="3 images added to the board.")).to_be_visible()
    board_id = show_board(anna, "Campaign X (3)")
    expect(tiles(anna, prompt)).to_have_count(3)

    # The whole board as one ZIP: three PNGs named like single downloads, and their recipes.
    with anna.expect_download() as download:
        anna.get_by_role("link", name="Download board as ZIP").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    pngs = [name for name in archive.namelist() if name.endswith(".png")]
    assert len(pngs) == 3 and all("_annas-lighthouse-at-dusk_" in name for name in pngs)
    assert "recipes.json" in archive.namelist()

    anna.get_by_role("button", name="Manage board").click()
    anna.get_by_label("Colleague's user name").fill(names[bob])
    anna.get_by_role("button", name="Share", exact=True).click()
    expect(anna.get_by_role("button", name=f"Stop sharing with {names[bob]}")).to_be_visible()
    anna.get_by_role("button", name="Close").click()

    # Cleo was not named: the board's address shows her nothing.
    open_gallery(cleo, app_url, f"?board={board_id}")
    expect(cleo.get_by_text("No images match these filters.")).to_be_visible()

    # Bob opens it, sees whose it is, and reproduces one image in his own studio.
    open_gallery(bob, app_url, f"?board={board_id}")
    expect(bob.get_by_text(f"Shared by {names[anna]}")).to_be_visible()
    expect(tiles(bob, prompt)).to_have_count(3)
    tiles(bob, prompt).first.click()
    expect(bob.get_by_text(re.compile(rf"Shared by {names[anna]}: read-only"))).to_be_visible()
    expect(bob.get_by_role("button", name="Favourite")).to_have_count(0)
    expect(bob.get_by_role("button", name="Delete")).to_have_count(0)
    bob.get_by_role("button", name="Reproduce").click()
    expect(bob.get_by_label("Prompt", exact=True)).to_have_value(prompt)
    generate_and_wait(bob)
    # His gallery holds his own image; Anna's stay hers.
    open_gallery(bob, app_url)
    expect(tiles(bob, prompt)).to_have_count(1)


def test_a_forged_board_id_over_the_websocket_adds_nothing_to_someone_elses_board(team, app_url):
    anna, bob, _, names = team
    open_gallery(anna, app_url)
    make_board(anna, "Annas board")
    annas_board = show_board(anna, "Annas board (0)")
    # Shared for viewing only: Bob may look, not add.
    anna.get_by_role("button", name="Manage board").click()
    anna.get_by_label("Colleague's user name").fill(names[bob])
    anna.get_by_role("button", name="Share", exact=True).click()
    expect(anna.get_by_role("button", name=f"Stop sharing with {names[bob]}")).to_be_visible()

    def aim_at_annas_board(route):
        server = route.connect_to_server()

        def to_server(message):
            if isinstance(message, str) and "add_selection_to_board" in message:
                message = re.sub(r'"board_id":"[0-9a-f]{32}"', f'"board_id":"{annas_board}"', message)
            server.send(message)

        route.on_message(to_server)

    bob.route_web_socket(re.compile(r".*/_event.*"), aim_at_annas_board)
    bob.get_by_label("Prompt", exact=True).fill("bobs own ship")
    generate_and_wait(bob)
    open_gallery(bob, app_url)
    make_board(bob, "Bobs board")
    select_box(bob, "bobs own ship").click()
    bob.get_by_role("button", name="Add to board").click()
    bob.get_by_role("menuitem", name="Bobs board (0)").click()
    expect(bob.get_by_role("status").filter(has_text="That board does not exist (any more).")).to_be_visible()
    anna.reload()
    expect(anna.get_by_role("combobox", name="Filter by board")).to_contain_text("Annas board (0)")


def test_on_a_phone_in_german_select_all_and_delete_says_how_many(browser, app_url):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("zwei Boote im Hafen")
    page.get_by_role("radio", name="2").click()
    generate_and_wait(page, count=2)
    choose_language(page, "Language", "Deutsch")
    page.goto(f"{app_url}/gallery")
    page.get_by_label("Name des neuen Boards").fill("Hafen")
    page.get_by_role("button", name="Board anlegen").click()
    expect(page.get_by_role("status").filter(has_text="Board „Hafen“ angelegt.")).to_be_visible()
    page.get_by_role("button", name="Alle passenden auswählen").click()
    expect(page.get_by_role("status").filter(has_text="2 ausgewählt")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Löschen").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("2 Bilder löschen?")
    dialog.get_by_role("button", name="2 Bilder löschen").click()
    expect(page.get_by_role("status").filter(has_text="2 Bilder gelöscht.")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("^Auswählen: zwei Boote"))).to_have_count(0)
    context.close()


def test_a_message_about_one_image_says_image_in_english_and_bild_in_german(browser, app_url):
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, app_url)
    page.get_by_label("Prompt", exact=True).fill("one gull over the pier")
    page.get_by_role("radio", name="2").click()
    generate_and_wait(page, count=2)
    open_gallery(page, app_url)
    select_box(page, "one gull over the pier").first.click()
    expect(page.get_by_role("status").filter(has_text="1 selected")).to_be_visible()
    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="1 image marked as a favourite.")).to_be_visible()

    choose_language(page, "Language", "Deutsch")
    select_box(page, "one gull over the pier").first.click()
    page.get_by_role("button", name="Löschen", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("1 Bild löschen?")
    dialog.get_by_role("button", name="1 Bild löschen").click()
    expect(page.get_by_role("status").filter(has_text="1 Bild gelöscht.")).to_be_visible()
    context.close()
