"""The bildgen Reflex app: pages and bildgen's own HTTP routes."""

import reflex as rx

from bildgen import routes
from bildgen.http import create_api
from bildgen.pages.studio import studio_page
from bildgen.inference.profiles import ConfigError
from bildgen.services import configured_catalog
from bildgen.state.studio import StudioState

# A broken BILDGEN_CONFIG stops start-up here, with the file, key and problem in the message.
try:
    configured_catalog()
except ConfigError as error:
    raise SystemExit(f"bildgen cannot start: {error}") from None

app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.script(src="/studio.js")],
)
app.add_page(studio_page, route=routes.STUDIO, title="bildgen", on_load=StudioState.check_server)
