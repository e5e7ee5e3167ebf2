"""/v1's `board` field: API-made images go into one of the token owner's boards, never anyone else's."""

import openai
import pytest

from bildgen.boards import core as boards
from bildgen.store import gallery
from tests.unit.api.conftest import SMALL


def board_images(bildgen, owner, board):
    return [
        image.id
        for image, _ in gallery.page(
            bildgen.services.engine, owner.id, filters=gallery.Filters(board_id=board.id)
        ).items
    ]


def test_a_board_named_in_the_request_gets_the_images(bildgen):
    anna, token = bildgen.user_and_token("anna")
    board = boards.create(bildgen.services.engine, anna.id, "Campaign X")
    answer = bildgen.sdk(token).images.generate(
        model="demo", prompt="a fox", n=2, size=SMALL, extra_body={"board": "campaign x"}
    )
    assert sorted(board_images(bildgen, anna, board)) == sorted(item.id for item in answer.data)


def test_someone_elses_board_is_not_found_and_nothing_is_made(bildgen):
    anna, _ = bildgen.user_and_token("anna")
    bob, token = bildgen.user_and_token("bob")
    board = boards.create(bildgen.services.engine, anna.id, "Campaign X")
    for name in (board.id, "Campaign X"):
        with pytest.raises(openai.NotFoundError) as refused:
            bildgen.sdk(token).images.generate(model="demo", prompt="a fox", size=SMALL, extra_body={"board": name})
        assert refused.value.body["param"] == "board"
    assert gallery.page(bildgen.services.engine, bob.id).items == []
    assert board_images(bildgen, anna, board) == []
