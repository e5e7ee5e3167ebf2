"""The usage report per group and profile as CSV: for administrators only, checked on the server."""

import csv
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bildgen import routes
from bildgen.groups import core as groups
from bildgen.store.db import session
from bildgen.store.models import User
from tests.jobs import generate
from tests.unit.conftest import make_user
from tests.unit.http.test_images import client_for


def test_administrators_export_usage_per_group_and_profile_as_csv(fresh_services):
    services = fresh_services.get_services()
    anna, bob = make_user(services.engine, "anna"), make_user(services.engine, "bob")
    root = make_user(services.engine, "root")
    with session(services.engine) as db:
        stored = db.exec(select(User).where(User.id == root.id)).one()
        stored.is_admin = True
        db.add(stored)
        db.commit()
    design = groups.create(services.engine, "Design", actor_id=root.id)
    groups.add_member(services.engine, design.id, "anna", actor_id=root.id)
    generate(services, anna, prompt="a fox", seeds=[1, 2])
    generate(services, bob, prompt="a hare", seeds=[3])
    today = datetime.now(UTC).date()
    week = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}

    response = client_for(services, root).get(routes.USAGE_CSV_ROUTE, params=week)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="bildgen-usage-{week["from"]}-{week["to"]}.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(response.text.splitlines()))
    assert rows[0][:5] == ["group", "profile_id", "profile", "runs", "images"]
    assert [row[0] for row in rows[1:]] == ["Design", "(no group)"]
    assert [(row[3], row[4]) for row in rows[1:]] == [("1", "2"), ("1", "1")]

    # Not for anyone else, and not a backwards range.
    assert client_for(services, anna).get(routes.USAGE_CSV_ROUTE, params=week).status_code == 403
    assert client_for(services, None).get(routes.USAGE_CSV_ROUTE, params=week).status_code == 404
    backwards = {"from": week["to"], "to": week["from"]}
    assert client_for(services, root).get(routes.USAGE_CSV_ROUTE, params=backwards).status_code == 400
