"""A board shared with a group over HTTP: its members get its images and its ZIP, nobody else does,
and a former member is refused again (checked on the server for every request)."""

from bildgen import routes
from bildgen.auth import audit
from bildgen.boards import sharing
from bildgen.groups import core as groups
from tests.unit.conftest import make_user
from tests.unit.http.test_images import client_for, image_url
from tests.unit.http.test_zips import audit_actions, world, zip_of  # noqa: F401  (world: the fixture)


def test_a_board_shared_with_a_group_opens_to_its_members_only(world):  # noqa: F811
    services, anna, bob, board, images = world
    cleo, root = make_user(services.engine, "cleo"), make_user(services.engine, "root")
    design = groups.create(services.engine, "Design", actor_id=root.id)
    groups.add_member(services.engine, design.id, "bob", actor_id=root.id)
    sharing.share_with_group(services.engine, anna.id, board.id, design.id, can_add=False)

    member, outsider = client_for(services, bob), client_for(services, cleo)
    assert member.get(image_url(images[0].id)).status_code == 200
    _, archive = zip_of(member, board=board.id)
    assert len(archive.namelist()) == 3  # two images and recipes.json
    assert (audit.SHARED_IMAGE_VIEWED, bob.id, f"image {images[0].id}") in audit_actions(services)
    assert outsider.get(image_url(images[0].id)).status_code == 404
    assert outsider.get(routes.ZIP_ROUTE, params={"board": board.id}).status_code == 404

    groups.remove_member(services.engine, design.id, "bob", actor_id=root.id)
    assert member.get(image_url(images[0].id)).status_code == 404
    assert member.get(routes.ZIP_ROUTE, params={"board": board.id}).status_code == 404
