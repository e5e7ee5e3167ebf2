"""Usage per user and profile (images, GPU-seconds, failures, estimated cost) and quotas enforced by
the queue's admission check, with the time they refill."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bildgen import i18n
from bildgen.admin import settings, usage
from bildgen.admin.keys import KeyBox
from bildgen.admin.live import ConfigSource
from bildgen.inference.profiles import Catalog, ModelProfile
from bildgen.jobs import queue
from bildgen.jobs.refusals import QuotaReached
from bildgen.store.db import session
from bildgen.store.models import GenerationStatus, Image, User, utc_now
from tests.jobs import submission
from tests.unit.conftest import make_generation, make_user

PROFILES = {
    "demo": ModelProfile(id="demo", label="Fast draft", base_url="http://127.0.0.1:9/v1", cost_per_image=0.02),
    "hd": ModelProfile(id="hd", label="Portrait HD", base_url="http://127.0.0.1:9/v1", cost_per_image=0.5),
}


@pytest.fixture(autouse=True)
def configured(engine):
    """The process's configuration, as the queue's admission check finds it in the app."""
    return ConfigSource(engine, Catalog(default_model="demo", models=PROFILES), KeyBox(b"s" * 40), environ={})


def generated(
    engine, owner, *, profile="demo", images=1, variants=None, status=GenerationStatus.DONE, ms=2000, when=None
):
    """A finished generation with `images` saved images, each taking `ms` milliseconds."""
    when = when or utc_now()
    generation = make_generation(
        engine, owner, model_profile=profile, variant_count=variants or images, status=status, created_at=when
    )
    with session(engine) as db:
        for variant in range(images):
            db.add(
                Image(
                    owner_id=owner.id,
                    generation_id=generation.id,
                    variant=variant,
                    seed=variant,
                    width=64,
                    height=64,
                    sha256=f"{generation.id}{variant}".ljust(64, "0")[:64],
                    created_at=when,
                    generation_ms=ms,
                )
            )
        db.commit()
    return generation


def test_usage_per_user_and_profile_counts_images_gpu_seconds_failures_and_cost(engine):
    anna, bob = make_user(engine, "anna"), make_user(engine, "bob")
    generated(engine, anna, images=3, ms=1500)
    generated(engine, anna, profile="hd", images=1, variants=4, status=GenerationStatus.PARTIAL, ms=10_000)
    generated(engine, bob, images=1, variants=2, status=GenerationStatus.FAILED)
    generated(engine, bob, images=0, variants=4, status=GenerationStatus.CANCELLED)  # not a failure
    generated(engine, bob, images=5, when=utc_now() - timedelta(days=40))  # another month

    start, end = usage.period_bounds("month")
    report = usage.usage(engine, start=start, end=end, profiles=PROFILES)

    by_user = {line.label: (line.images, line.gpu_seconds, line.failures, line.cost) for line in report.by_user}
    assert by_user == {"anna": (4, 14.5, 3, 0.56), "bob": (1, 2.0, 1, 0.02)}
    by_profile = {line.label: (line.images, line.failures, line.cost) for line in report.by_profile}
    assert by_profile == {"Fast draft": (4, 1, 0.08), "Portrait HD": (1, 3, 0.5)}
    assert report.total_cost == pytest.approx(0.58)


def test_a_daily_quota_refuses_what_would_exceed_it_and_says_when_it_refills(engine):
    root, anna = make_user(engine, "root"), make_user(engine, "anna")
    usage.add_rule(engine, profile_id=None, period="day", max_images=4, profiles=PROFILES, actor_id=root.id)
    generated(engine, anna, images=2)
    generated(engine, anna, images=9, when=utc_now() - timedelta(days=1))  # yesterday's do not count
    profile = PROFILES["demo"]

    with pytest.raises(QuotaReached) as refused:
        queue.submit(engine, submission(anna, profile, seeds=(1, 2, 3)))
    _, tomorrow = usage.period_bounds("day")
    assert refused.value.refills_at == tomorrow
    assert refused.value.message.startswith("You have 2 of your 4 images left today, fewer than the 3 asked for")
    assert f"{tomorrow:%b} {tomorrow.day}, {tomorrow.year}, 12:00\u202fAM UTC (in " in refused.value.message

    queue.submit(engine, submission(anna, profile, seeds=(1, 2)))  # waiting: its variants count already
    with pytest.raises(QuotaReached, match="You have used your 4 images today"):
        queue.submit(engine, submission(anna, profile, seeds=(1,)))


def test_a_german_user_is_refused_in_german_with_a_german_date(engine):
    root, anna = make_user(engine, "root"), make_user(engine, "anna")
    usage.add_rule(engine, profile_id="hd", period="day", max_images=1, profiles=PROFILES, actor_id=root.id)
    generated(engine, anna, profile="hd", images=1)
    _, tomorrow = usage.period_bounds("day")

    token = i18n.current_language.set("de")
    try:
        with pytest.raises(QuotaReached) as refused:
            queue.submit(engine, submission(anna, PROFILES["hd"]))
    finally:
        i18n.current_language.reset(token)
    assert refused.value.message.startswith("Ihr Kontingent für heute ist aufgebraucht (1 Bild mit Portrait HD).")
    assert f"Weitere ab {tomorrow:%d.%m.%Y}, 00:00 UTC (in " in refused.value.message


def test_a_profile_quota_applies_to_that_profile_only(engine):
    root, anna = make_user(engine, "root"), make_user(engine, "anna")
    usage.add_rule(engine, profile_id="hd", period="month", max_images=1, profiles=PROFILES, actor_id=root.id)
    generated(engine, anna, profile="hd", images=1)

    with pytest.raises(QuotaReached, match="with Portrait HD this month"):
        queue.submit(engine, submission(anna, PROFILES["hd"]))
    queue.submit(engine, submission(anna, PROFILES["demo"], seeds=(1, 2, 3, 4)))


def test_administrators_are_exempt_only_when_the_settings_say_so(engine):
    root = make_user(engine, "root")
    with session(engine) as db:
        stored = db.get(User, root.id)
        stored.is_admin = True
        db.add(stored)
        db.commit()
    usage.add_rule(engine, profile_id=None, period="day", max_images=0, profiles=PROFILES, actor_id=root.id)
    with pytest.raises(QuotaReached):
        queue.submit(engine, submission(root, PROFILES["demo"]))

    settings.update(engine, {"admins_exempt": True}, actor_id=root.id)
    queue.submit(engine, submission(root, PROFILES["demo"]))


def test_periods_are_calendar_days_and_months_in_utc():
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert usage.period_bounds("day", moment) == (datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert usage.period_bounds("month", moment) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_a_rule_removed_no_longer_applies_and_both_are_audited(engine):
    from bildgen.auth import audit

    root, anna = make_user(engine, "root"), make_user(engine, "anna")
    rule = usage.add_rule(engine, profile_id=None, period="day", max_images=0, profiles=PROFILES, actor_id=root.id)
    usage.remove_rule(engine, rule.id, profiles=PROFILES, actor_id=root.id)
    queue.submit(engine, submission(anna, PROFILES["demo"]))
    entries = audit.page(engine, action=audit.QUOTA_CHANGED).entries
    assert [entry.detail for entry in entries] == ["removed", "added"]
    assert '"all profiles"' in entries[0].old_value


def test_simultaneous_submissions_cannot_all_pass_a_quota(engine):
    root, anna = make_user(engine, "root"), make_user(engine, "anna")
    usage.add_rule(engine, profile_id=None, period="day", max_images=3, profiles=PROFILES, actor_id=root.id)
    barrier, outcomes = threading.Barrier(8), []

    def submit():
        barrier.wait()
        try:
            queue.submit(engine, submission(anna, PROFILES["demo"]))
            outcomes.append("queued")
        except QuotaReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["queued"] * 3 + ["refused"] * 5


def test_the_overview_summary_counts_the_queue_now_and_the_images_and_people_of_today_and_the_week(engine):
    now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    anna, ben, cleo = (make_user(engine, name) for name in ("anna", "ben", "cleo"))
    generated(engine, anna, images=2, when=now - timedelta(hours=2))  # today
    generated(engine, ben, images=1, when=now - timedelta(hours=16))  # yesterday evening: this week only
    generated(engine, cleo, images=4, when=now - timedelta(days=8))  # before the last 7 days
    make_generation(engine, anna, status=GenerationStatus.QUEUED, variant_count=2)
    make_generation(engine, ben, status=GenerationStatus.QUEUED)
    make_generation(engine, cleo, status=GenerationStatus.RUNNING)

    assert usage.activity(engine, now=now) == usage.Activity(
        waiting=2, running=1, images_today=2, people_today=1, images_week=3, people_week=2
    )
