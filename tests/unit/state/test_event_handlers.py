"""Every public method of a Reflex state is an event handler the browser may call with any arguments:
none may take who the user is, whose data it is, or a file path from the client."""

import inspect

import reflex as rx

import bildgen.bildgen  # noqa: F401  (registers every page and state)

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


# AdminState's role checks (the audit log's wraps the first).
ROLE_CHECKS = ("await self._administrator()", "await self._administrator_of(token)", "await self._may_read()")


def test_every_admin_handler_checks_the_role_on_the_server_first():
    """Each event of an Admin area page asks the database who is signed in before doing anything."""
    from bildgen.state.admin_area import AdminState

    unchecked = []
    for state in all_states(AdminState):
        for name, handler in state.event_handlers.items():
            if name == "setvar":
                # Reflex's own: sets a var shown in the page only; no admin data or change behind it.
                continue
            source = inspect.getsource(handler.fn)
            body = source.split(":", 1)[1] if source.lstrip().startswith("@") else source
            checks_role = any(check in body for check in ROLE_CHECKS) or (
                "user_for_token(" in body and ".is_admin" in body
            )
            if not checks_role:
                unchecked.append(f"{state.__name__}.{name}")
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
