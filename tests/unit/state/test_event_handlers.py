"""Every public method of a Reflex state is an event handler the browser may call with any arguments:
none may take who the user is, whose data it is, or a file path from the client."""

import inspect
import typing

import reflex as rx

import bildgen.bildgen  # noqa: F401  (registers every page and state)
from bildgen.state.guards import guard_of

TRUSTED_NAMES = {"user", "owner", "owner_id", "user_id", "path", "file_path", "username", "is_admin"}


def all_states(state=rx.State):
    yield state
    for child in state.get_substates():
        yield from all_states(child)


def test_the_app_registers_the_studio_and_gallery_handlers():
    handlers = {name for state in all_states() for name in state.event_handlers}
    # The list below is what the next test checks: it must not be empty or stale.
    assert {
        "generate",
        "cancel",
        "use_as_reference",
        "add_references",
        "reproduce",
        "delete",
        "cancel_job",
        "mask_saved",
        "remove_mask",
        "set_option",
        "set_prompt_upsampling",
    } <= handlers
    assert {"create_token", "revoke_token", "dismiss_new_token", "revoke_any_token", "open_tokens"} <= handlers
    assert {"open_image", "step", "toggle_actual_size", "toggle_favourite", "reuse_seed"} <= handlers
    assert {"toggle_pick", "open_comparison", "load_older_runs", "watch_run"} <= handlers
    assert {"run_batch", "set_cell", "upload_items", "cancel_batch", "run_again", "refresh"} <= handlers
    assert {"open_overview", "set_generation", "save_general"} <= handlers
    assert {"write_prompts", "run_pack", "save_as_pack", "import_pack", "delete_pack", "open_comparison"} <= handlers
    assert {"improve_prompt", "use_proposal", "pick", "create_element", "add_element_image"} <= handlers


def bildgen_handlers(root=rx.State):
    """(state, name, handler) of every event handler bildgen wrote (not Reflex's own setters)."""
    for state in all_states(root):
        for name, handler in state.event_handlers.items():
            if getattr(handler.fn, "__module__", "").startswith("bildgen."):
                yield state, name, handler


# How a handler that declares `checks_inside` asks who is calling (or acts only for the owner a
# signed-in handler gave the tab: `_owner_id`).
INSIDE_CHECKS = (
    "self._user()",
    "_administrator_of(",
    "self._background_administrator()",
    "user_for_token(",
    "_studio_for_user()",
    "self._owner_id",
)


def test_every_event_handler_declares_who_may_call_it():
    """@signed_in, @administrator, @public or @checks_inside on each: a new handler without one fails
    here, whatever its body says."""
    undeclared = [f"{state.__name__}.{name}" for state, name, handler in bildgen_handlers() if not guard_of(handler.fn)]
    assert undeclared == []


def test_every_admin_handler_is_for_administrators_only():
    """Each event of an Admin area page asks the database who is signed in before doing anything."""
    from bildgen.state.admin_area import AdminState

    wrong = [
        f"{state.__name__}.{name}: {guard_of(handler.fn)}"
        for state, name, handler in bildgen_handlers(AdminState)
        if guard_of(handler.fn) not in ("administrator", "inside")
    ]
    assert wrong == []


def test_handlers_that_check_inside_do_ask_who_is_calling():
    unchecked = [
        f"{state.__name__}.{name}"
        for state, name, handler in bildgen_handlers()
        if guard_of(handler.fn) == "inside"
        and not any(check in inspect.getsource(handler.fn) for check in INSIDE_CHECKS)
    ]
    assert unchecked == []


def test_no_event_handler_takes_a_user_an_owner_or_a_path_from_the_browser():
    offenders = []
    for state in all_states():
        if not state.__module__.startswith("bildgen."):
            continue
        for name, handler in state.event_handlers.items():
            for parameter in list(inspect.signature(handler.fn).parameters.values())[1:]:
                annotation = str(parameter.annotation)
                if parameter.name in TRUSTED_NAMES or "User" in annotation or "Path" in annotation:
                    offenders.append(f"{state.__name__}.{name}({parameter.name})")
    assert offenders == []


def test_helpers_that_act_for_a_user_are_not_event_handlers():
    from bildgen.state.studio import StudioState

    for helper in ("_apply_recipe", "_use_image_as_reference", "_ensure_ready", "_reproduce"):
        assert hasattr(StudioState, helper)
        assert helper not in StudioState.event_handlers
    assert "apply_recipe" not in StudioState.event_handlers
    assert "use_image_as_reference" not in StudioState.event_handlers
    # Storing an upload for a user is a use case (generation.uploads), not anything of the state's.
    assert not any("store_reference" in name or name == "add_reference" for name in StudioState.event_handlers)


def test_the_lightbox_acts_only_on_the_image_it_loaded_for_the_user():
    """Its actions take no id from the browser: they work on the image whose ownership was checked
    when it was shown, so a forged call cannot aim them at anyone else's."""
    from bildgen.state.lightbox import LightboxState

    for action in ("delete", "toggle_favourite", "reproduce", "use_as_reference", "reuse_seed"):
        parameters = list(inspect.signature(LightboxState.event_handlers[action].fn).parameters)
        assert parameters == ["self"], action


def test_a_guarded_handler_shows_reflex_its_own_arguments_and_never_the_user():
    """The guard passes `user` in on the server; the browser's event names and types only the
    handler's own arguments, and background handlers stay background handlers."""
    from bildgen.state.admin_users import UsersState
    from bildgen.state.studio import StudioState

    handler = UsersState.event_handlers["set_user_disabled"]
    assert guard_of(handler.fn) == "administrator"
    assert list(inspect.signature(handler.fn).parameters) == ["self", "account_id", "disabled"]
    assert typing.get_type_hints(handler.fn) == {"account_id": str, "disabled": bool}
    assert [str(name) for name, _ in UsersState.set_user_disabled("someone", True).args] == ["account_id", "disabled"]
    assert StudioState.event_handlers["generate"].is_background
    assert guard_of(StudioState.event_handlers["generate"].fn) == "inside"
