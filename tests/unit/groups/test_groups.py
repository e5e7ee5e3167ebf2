"""Groups and team governance on SQLite and PostgreSQL: groups and their members, model allow-lists
refused in the use-case layer, group quotas refused up front with the group's name and refill time,
usage per group and profile (and its CSV), membership from the single sign-on claim, and boards shared
with a group (nobody outside it reaches them)."""

import csv
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bildgen.admin import settings, usage
from bildgen.admin.keys import KeyBox
from bildgen.admin.live import ConfigSource
from bildgen.auth import accounts, audit
from bildgen.auth.single_sign_on import Identity
from bildgen.boards import core as boards
from bildgen.boards import sharing
from bildgen.generation.submit import submit_now
from bildgen.groups import core as groups
from bildgen.groups import governance, report
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs.refusals import QuotaReached
from bildgen.refusal import Refusal
from bildgen.store import gallery
from bildgen.store.db import session
from bildgen.store.models import AuditEvent, Generation, User
from tests.jobs import submission
from tests.unit.admin.test_usage import generated
from tests.unit.conftest import make_user
from tests.unit.store.test_gallery import add_generation, every_page

PROFILES = {
    "draft": ModelProfile(id="draft", label="Fast draft", base_url="http://127.0.0.1:9/v1", cost_per_image=0.02),
    "hd": ModelProfile(id="hd", label="Portrait HD", base_url="http://127.0.0.1:9/v1", edit_with="editor"),
    "editor": ModelProfile(id="editor", label="Editor", base_url="http://127.0.0.1:9/v1", max_references=4),
}


@pytest.fixture(autouse=True)
def configured(engine):
    """The process's configuration, as the use cases find it in the app."""
    return ConfigSource(engine, Catalog(default_model="draft", models=PROFILES), KeyBox(b"s" * 40), environ={})


@pytest.fixture
def admin(engine):
    with session(engine) as db:
        user = User(username="root", password_hash="x", is_admin=True)
        db.add(user)
        db.commit()
    return user


def group_with(engine, admin, name, *members):
    group = groups.create(engine, name, actor_id=admin.id)
    for member in members:
        groups.add_member(engine, group.id, member.username, actor_id=admin.id)
    return group


def test_groups_are_made_renamed_and_deleted_with_people_in_several(engine, admin):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    design = group_with(engine, admin, "Design", anna, bob)
    group_with(engine, admin, "Print", anna)
    with pytest.raises(groups.GroupRefused, match="already"):
        groups.create(engine, " design ", actor_id=admin.id)
    with pytest.raises(groups.GroupRefused, match="no account"):
        groups.add_member(engine, design.id, "nobody", actor_id=admin.id)
    groups.rename(engine, design.id, "Design team", actor_id=admin.id)
    assert [(g.name, g.members) for g in groups.list_groups(engine)] == [
        ("Design team", ["anna", "bob"]),
        ("Print", ["anna"]),
    ]
    assert [g.name for g in groups.groups_of(engine, anna.id)] == ["Design team", "Print"]
    groups.remove_member(engine, design.id, "bob", actor_id=admin.id)
    groups.delete(engine, design.id, actor_id=admin.id)
    assert [(g.name, g.members) for g in groups.list_groups(engine)] == [("Print", ["anna"])]
    with session(engine) as db:
        changes = db.exec(select(AuditEvent.detail).where(AuditEvent.action == audit.GROUP_CHANGED)).all()
    assert changes.count("created") == 2 and "renamed" in changes and "deleted" in changes


def test_allow_lists_combine_and_the_use_case_refuses_naming_the_model(engine, admin):
    anna, bob, cleo = make_user(engine, "anna"), make_user(engine, "bob"), make_user(engine, "cleo")
    drafts = group_with(engine, admin, "Drafts only", anna, bob)
    portraits = group_with(engine, admin, "Portraits", bob)
    group_with(engine, admin, "Everyone", anna, bob, cleo)  # restricts nothing, so widens nothing
    groups.set_models(
        engine, drafts.id, restricts=True, profile_ids=["draft", "gone"], known=PROFILES, actor_id=admin.id
    )
    groups.set_models(engine, portraits.id, restricts=True, profile_ids=["hd"], known=PROFILES, actor_id=admin.id)

    assert governance.allowed_profiles(engine, anna.id, PROFILES) == {"draft"}
    # Bob's two restricting groups add up; the profile Portrait HD hands edits to comes with it.
    assert governance.allowed_profiles(engine, bob.id, PROFILES) == {"draft", "hd", "editor"}
    assert governance.allowed_profiles(engine, cleo.id, PROFILES) is None

    with pytest.raises(Refusal) as refused:
        submit_now(engine, submission(anna, PROFILES["hd"]))
    assert (refused.value.field, refused.value.kind) == ("model", "forbidden")
    assert "Portrait HD" in refused.value.message
    with session(engine) as db:
        assert db.exec(select(Generation)).all() == []  # nothing queued
    assert submit_now(engine, submission(anna, PROFILES["draft"]))
    assert submit_now(engine, submission(cleo, PROFILES["hd"]))

    # Lifting the restriction gives Anna every model again.
    groups.set_models(engine, drafts.id, restricts=False, profile_ids=[], known=PROFILES, actor_id=admin.id)
    assert submit_now(engine, submission(anna, PROFILES["hd"]))


def test_a_group_quota_refuses_with_the_groups_name_and_refill_time(engine, admin):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    team = group_with(engine, admin, "Campaign", anna, bob)
    groups.set_quota(engine, team.id, period="day", max_images=5, actor_id=admin.id)
    with pytest.raises(groups.GroupRefused):
        groups.set_quota(engine, team.id, period="week", max_images=5, actor_id=admin.id)
    generated(engine, anna, images=3)
    submit_now(engine, submission(bob, PROFILES["draft"], seeds=(1,)))  # waiting: counts already

    with pytest.raises(QuotaReached) as refused:
        submit_now(engine, submission(bob, PROFILES["draft"], seeds=(1, 2)))
    message = refused.value.message
    assert "Campaign" in message and "1 of its 5 images left today" in message
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert refused.value.refills_at == tomorrow
    submit_now(engine, submission(bob, PROFILES["draft"], seeds=(1,)))
    with pytest.raises(QuotaReached, match="Your group Campaign has used its 5 images today"):
        submit_now(engine, submission(anna, PROFILES["draft"]))

    # What is left, as each member sees it: the group's quota beside the personal one.
    usage.add_rule(engine, profile_id=None, period="month", max_images=100, profiles=PROFILES, actor_id=admin.id)
    left = governance.what_is_left(engine, anna.id, settings.read(engine))
    assert [(a.group, a.period, a.max_images, a.left) for a in left] == [
        ("", "month", 100, 97),
        ("Campaign", "day", 5, 0),
    ]

    # Exempt administrators are exempt from group quotas too.
    groups.add_member(engine, team.id, "root", actor_id=admin.id)
    settings.update(engine, {"admins_exempt": True}, actor_id=admin.id)
    assert submit_now(engine, submission(admin, PROFILES["draft"]))
    assert governance.what_is_left(engine, admin.id, settings.read(engine)) is None


def test_usage_per_group_and_profile_and_its_csv(engine, admin):
    anna, bob, cleo = make_user(engine, "anna"), make_user(engine, "bob"), make_user(engine, "cleo")
    group_with(engine, admin, "Design", anna, bob)
    group_with(engine, admin, "=Print", bob)  # a name that would be a formula in a spreadsheet
    now = datetime.now(UTC)
    generated(engine, anna, profile="draft", images=3, when=now)
    generated(engine, bob, profile="hd", images=2, when=now)
    generated(engine, cleo, profile="draft", images=1, when=now)
    generated(engine, anna, profile="draft", images=7, when=now - timedelta(days=40))  # outside the range

    lines = report.report(engine, start=now - timedelta(days=1), end=now + timedelta(days=1), profiles=PROFILES)
    assert [(line.group, line.profile_id, line.runs, line.images, line.cost) for line in lines] == [
        ("=Print", "hd", 1, 2, None),
        ("Design", "draft", 1, 3, 0.06),
        ("Design", "hd", 1, 2, None),
        ("", "draft", 1, 1, 0.02),
    ]
    rows = list(csv.reader("".join(report.csv_lines(lines, currency="EUR", no_group="(no group)")).splitlines()))
    assert rows[0] == list(report.CSV_HEADER)
    assert rows[1] == ["'=Print", "hd", "Portrait HD", "1", "2", "", "EUR"]
    assert rows[2] == ["Design", "draft", "Fast draft", "1", "3", "0.06", "EUR"]
    assert rows[-1] == ["(no group)", "draft", "Fast draft", "1", "1", "0.02", "EUR"]


def test_single_sign_on_joins_the_claims_groups_and_follows_the_claim(engine, admin):
    manual = groups.create(engine, "Reviewers", actor_id=admin.id)

    def sign_in(*claimed):
        identity = Identity(
            issuer="https://idp",
            subject="s-1",
            email=None,
            email_verified=False,
            preferred_username="dora",
            groups=claimed,
        )
        return accounts.sign_in_with_identity(engine, identity, admin_group=None, admin_username=None)

    dora = sign_in("Design", "reviewers")
    assert [g.name for g in groups.groups_of(engine, dora.id)] == ["Design", "Reviewers"]
    groups.add_member(engine, groups.create(engine, "Print", actor_id=admin.id).id, "dora", actor_id=admin.id)
    sign_in("Marketing")
    # The claim's own groups follow it; groups an administrator made keep her.
    assert [g.name for g in groups.groups_of(engine, dora.id)] == ["Marketing", "Print", "Reviewers"]
    assert "Design" in [g.name for g in groups.list_groups(engine)]  # emptied, not deleted
    assert manual.id in [g.id for g in groups.groups_of(engine, dora.id)]


def test_a_board_shared_with_a_group_is_seen_by_its_members_only(engine, admin):
    anna, bob, cleo = make_user(engine, "anna"), make_user(engine, "bob"), make_user(engine, "cleo")
    design = group_with(engine, admin, "Design", bob)
    images = add_generation(engine, anna, "a lighthouse", images=2)
    board = boards.create(engine, anna.id, "Campaign X")
    boards.add_images(engine, anna.id, board.id, [image.id for image in images])

    # Cleo cannot share Anna's board, not even with a group she is in.
    assert sharing.share_with_group(engine, cleo.id, board.id, design.id, can_add=True) is None
    with pytest.raises(sharing.ShareRefused):
        sharing.share_with_group(engine, anna.id, board.id, "not-a-group", can_add=False)
    assert sharing.viewable_board(engine, bob.id, board.id) is None

    shared = sharing.share_with_group(engine, anna.id, board.id, design.id, can_add=False)
    assert (shared.name, shared.can_add) == ("Design", False)
    assert sorted(every_page(engine, bob, gallery.Filters(board_id=board.id))) == sorted(i.id for i in images)
    assert sharing.viewable_image(engine, bob.id, images[0].id) is not None
    assert sharing.viewable_image(engine, cleo.id, images[0].id) is None
    [bobs] = add_generation(engine, bob, minute=1)
    assert boards.add_images(engine, bob.id, board.id, [bobs.id]) is None  # view only
    sharing.share_with_group(engine, anna.id, board.id, design.id, can_add=True)
    assert boards.add_images(engine, bob.id, board.id, [bobs.id]) == 1

    # Leaving the group ends the access; so does unsharing; both are server-side checks.
    groups.remove_member(engine, design.id, "bob", actor_id=admin.id)
    assert sharing.viewable_image(engine, bob.id, images[0].id) is None
    groups.add_member(engine, design.id, "bob", actor_id=admin.id)
    assert not sharing.unshare_group(engine, bob.id, board.id, design.id)
    assert sharing.unshare_group(engine, anna.id, board.id, design.id)
    assert sharing.viewable_board(engine, bob.id, board.id) is None
    with session(engine) as db:
        details = db.exec(select(AuditEvent.detail).where(AuditEvent.target == f"board {board.id}")).all()
    assert "group Design: view" in details and "group Design: view + add" in details


def test_a_batch_item_on_a_model_the_group_does_not_allow_is_refused_like_the_studio(engine, admin):
    from bildgen.batches import runs
    from bildgen.batches.items import BatchItem, ItemFields

    anna = make_user(engine, "anna")
    drafts = group_with(engine, admin, "Drafts only", anna)
    groups.set_models(engine, drafts.id, restricts=True, profile_ids=["draft"], known=PROFILES, actor_id=admin.id)
    catalog = Catalog(default_model="draft", models=PROFILES)
    items = [BatchItem("a fox", ItemFields(model="draft")), BatchItem("a hare", ItemFields(model="hd"))]
    batch_id = runs.create(
        engine,
        owner_id=anna.id,
        name="mixed",
        items=items,
        defaults=ItemFields(width="256", height="256"),
        catalog=catalog,
    )
    assert runs.queue_items(engine, batch_id, owner_id=anna.id, catalog=catalog) == runs.Queued(1, 1)
    shown = runs.items_page(engine, batch_id, owner_id=anna.id)
    assert [item.status for item in shown] == ["queued", "refused"]
    assert shown[1].message.startswith("Your groups do not allow Portrait HD.")
