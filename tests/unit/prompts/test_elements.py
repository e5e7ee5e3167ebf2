"""Context elements: stored per owner, composed into the prompt and references in a fixed, visible way,
kept in the recipe."""

import pytest

from bildgen.prompts import elements
from bildgen.prompts.elements import Picked, RecipeExtras, compose
from bildgen.store import library
from bildgen.store.files import ImageFiles
from tests.unit.conftest import make_user

MIRA = Picked("e1", "Mira", "subject", "a red-haired courier with a brass prosthetic arm.", "ref-mira")
HARBOUR = Picked("e2", "Old Harbour", "setting", "rain-slick docks under sodium lamps")
INK = Picked("e3", "Ink wash", "style", "", "ref-ink")


def test_elements_follow_the_typed_prompt_in_role_order_and_bring_their_images():
    composed = compose("  a chase across the rooftops ", [INK, HARBOUR, MIRA])
    assert composed.prompt == (
        "a chase across the rooftops."
        " Featuring Mira: a red-haired courier with a brass prosthetic arm."
        " Setting: Old Harbour, rain-slick docks under sodium lamps."
        " In the style of Ink wash."
    )
    assert composed.reference_ids == ("ref-mira", "ref-ink")
    assert compose("plain", []) == elements.Composition("plain", ())
    assert elements.suffix([HARBOUR]) == " Setting: Old Harbour, rain-slick docks under sodium lamps."


@pytest.mark.parametrize(
    "typed, sent",
    [
        ("Mira rides to work", "Mira rides to work. Setting: Old Harbour, rain-slick docks under sodium lamps."),
        ("Is it raining? ", "Is it raining? Setting: Old Harbour, rain-slick docks under sodium lamps."),
        ("It rains…", "It rains… Setting: Old Harbour, rain-slick docks under sodium lamps."),
        ("Done.", "Done. Setting: Old Harbour, rain-slick docks under sodium lamps."),
        ("   ", "Setting: Old Harbour, rain-slick docks under sodium lamps."),
    ],
)
def test_the_typed_prompt_ends_as_a_sentence_before_the_elements_sentences(typed, sent):
    assert compose(typed, [HARBOUR]).prompt == sent


def test_an_element_is_edited_by_its_owner_only_and_can_lose_its_image(engine, tmp_path):
    anna, bob = make_user(engine), make_user(engine, "bob")
    reference = library.add_reference(engine, ImageFiles(tmp_path), owner_id=anna.id, png=b"\x89PNG-fake", name="m.png")
    mira = elements.create(engine, owner_id=anna.id, name="Mira", kind="character", text="a courier")
    changes = {"name": "Mira Vale", "kind": "character", "text": "a courier with a brass arm"}
    assert not elements.update(engine, mira, owner_id=bob.id, reference_id=None, **changes)
    assert elements.update(engine, mira, owner_id=anna.id, reference_id=reference.id, **changes)
    assert elements.picked(engine, {mira: "subject"}, owner_id=anna.id) == [
        Picked(mira, "Mira Vale", "subject", "a courier with a brass arm", reference.id)
    ]
    assert elements.update(engine, mira, owner_id=anna.id, reference_id=None, **changes)
    assert elements.owned(engine, owner_id=anna.id)[0].reference_id is None
    with pytest.raises(elements.ElementRefused, match="name of 1 to 80"):
        elements.update(engine, mira, owner_id=anna.id, reference_id=None, name="", kind="place", text="")
    with pytest.raises(elements.ElementRefused, match="not available"):
        elements.update(engine, mira, owner_id=anna.id, reference_id="someone-elses", **changes)


def test_the_recipe_keeps_the_typed_prompt_the_improvement_and_the_elements():
    extras = RecipeExtras(
        prompt_as_typed="a chase", improved_from="chase", improved_by="Demo writer", elements=(MIRA, HARBOUR)
    )
    assert RecipeExtras.decode(extras.encode()) == extras
    assert RecipeExtras().encode() is None
    assert RecipeExtras.decode("not json") == RecipeExtras()
    assert RecipeExtras.decode('{"elements": [{"role": "villain", "name": "x"}], "improved_from": 3}') == RecipeExtras()
    assert extras.describe() == [
        "Improved by Demo writer from: chase",
        "Typed prompt: a chase",
        "Context element (subject): Mira",
        "Context element (setting): Old Harbour",
    ]


def test_elements_are_the_owners_and_picking_ignores_anyone_elses(engine, tmp_path):
    anna, bob = make_user(engine), make_user(engine, "bob")
    reference = library.add_reference(engine, ImageFiles(tmp_path), owner_id=anna.id, png=b"\x89PNG-fake", name="m.png")
    mira = elements.create(
        engine, owner_id=anna.id, name=" Mira ", kind="character", text="a courier", reference_id=reference.id
    )
    bobs = elements.create(engine, owner_id=bob.id, name="Bob's", kind="place", text="a shed")
    assert [element.name for element in elements.owned(engine, owner_id=anna.id)] == ["Mira"]
    picked = elements.picked(engine, {mira: "subject", bobs: "setting", "missing": "style"}, owner_id=anna.id)
    assert picked == [Picked(mira, "Mira", "subject", "a courier", reference.id)]
    assert elements.picked(engine, {mira: "villain"}, owner_id=anna.id) == []
    assert not elements.delete(engine, mira, owner_id=bob.id)
    assert elements.delete(engine, mira, owner_id=anna.id)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "", "kind": "place", "text": ""}, "name of 1 to 80"),
        ({"name": "x" * 81, "kind": "place", "text": ""}, "name of 1 to 80"),
        ({"name": "ok", "kind": "villain", "text": ""}, "kind is one of"),
        ({"name": "ok", "kind": "place", "text": "x" * 1001}, "at most 1,000"),
        ({"name": "ok", "kind": "place", "text": "", "reference_id": "someone-elses"}, "not available"),
    ],
)
def test_bad_elements_are_refused_with_the_reason(engine, fields, message):
    anna = make_user(engine)
    with pytest.raises(elements.ElementRefused, match=message):
        elements.create(engine, owner_id=anna.id, **fields)
