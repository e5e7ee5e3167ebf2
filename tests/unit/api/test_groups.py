"""A group's model allow-list over /v1: the models listed are those the caller may use, and another
model is refused naming the `model` field before anything is stored or queued."""

import openai
import pytest
from sqlmodel import select

from bildgen.groups import core as groups
from bildgen.jobs import views
from bildgen.store.db import session
from bildgen.store.models import ReferenceImage
from tests.unit.api.conftest import SMALL, png


def test_a_restricted_member_lists_and_uses_only_the_allowed_model(bildgen):
    anna, anna_token = bildgen.user_and_token("anna")
    _, bob_token = bildgen.user_and_token("bob")
    sketcher = bildgen.add_profile("Sketcher")
    engine, root = bildgen.services.engine, bildgen._admin()
    team = groups.create(engine, "Interns", actor_id=root.id)
    groups.add_member(engine, team.id, "anna", actor_id=root.id)
    groups.set_models(
        engine, team.id, restricts=True, profile_ids=[sketcher], known=[sketcher, "demo"], actor_id=root.id
    )

    assert [model.id for model in bildgen.sdk(anna_token).models.list().data] == [sketcher]
    assert [model.id for model in bildgen.sdk(bob_token).models.list().data] == ["demo", sketcher]

    with pytest.raises(openai.PermissionDeniedError) as generating:
        bildgen.sdk(anna_token).images.generate(model="demo", prompt="a fox", size=SMALL)
    with pytest.raises(openai.PermissionDeniedError) as editing:
        bildgen.sdk(anna_token).images.edit(model="demo", image=("a.png", png(), "image/png"), prompt="bluer")
    for refused in (generating, editing):
        body = refused.value.body
        assert (body["param"], body["code"]) == ("model", "model_not_allowed")
        assert "Your groups do not allow Demo renderer" in body["message"]
    assert views.latest(engine, owner_id=anna.id) is None
    with session(engine) as db:
        assert db.exec(select(ReferenceImage)).all() == []

    assert bildgen.sdk(anna_token).images.generate(model=sketcher, prompt="a fox", size=SMALL).data
    assert bildgen.sdk(bob_token).images.generate(model="demo", prompt="a fox", size=SMALL).data
