"""The bildgen Reflex app: pages and bildgen's own HTTP routes."""

import asyncio
import contextlib

import reflex as rx

from bildgen import routes
from bildgen.batches.queueing import resume_pending_batches
from bildgen.http import create_api
from bildgen.inference.profiles import ConfigError
from bildgen.ops.logs import configure_logging
from bildgen.ops.process import stop_with_server
from bildgen.pages.account import account_page
from bildgen.pages.admin import audit_page, queue_page, tokens_page
from bildgen.pages.admin_groups import admin_groups_page
from bildgen.pages.admin_overview import admin_overview_page
from bildgen.pages.admin_profiles import admin_profiles_page
from bildgen.pages.admin_providers import admin_providers_page
from bildgen.pages.admin_usage import admin_usage_page
from bildgen.pages.admin_users import admin_users_page
from bildgen.pages.batches import batch_page, batches_page, comparison_page
from bildgen.pages.gallery import gallery_page
from bildgen.pages.packs import packs_page
from bildgen.pages.sign_in import change_password_page, sign_in_page, sign_up_page
from bildgen.pages.studio import studio_page
from bildgen.redis_listeners import redis_listeners_kept_running
from bildgen.services import configured_catalog, running_services
from bildgen.state.account import AccountState
from bildgen.state.admin import AuditLogState
from bildgen.state.admin_groups import GroupsState
from bildgen.state.admin_overview import OverviewState
from bildgen.state.admin_profiles import ProfilesState
from bildgen.state.admin_providers import ProvidersState
from bildgen.state.admin_queue import QueueState
from bildgen.state.admin_tokens import AdminTokensState
from bildgen.state.admin_usage import UsageState
from bildgen.state.admin_users import UsersState
from bildgen.state.batch_page import BatchPageState
from bildgen.state.batches import BatchEditorState
from bildgen.state.boards import BoardsState
from bildgen.state.comparison import ComparisonState
from bildgen.state.gallery import GalleryState
from bildgen.state.lightbox import LightboxState
from bildgen.state.packs import PacksState
from bildgen.state.session import SignInPageState
from bildgen.state.studio import StudioState

configure_logging()

# A broken BILDGEN_CONFIG stops start-up here, with the file, key and problem in the message.
try:
    configured_catalog()
except ConfigError as error:
    raise SystemExit(f"bildgen cannot start: {error}") from None


@contextlib.asynccontextmanager
async def _run_services():
    stop_with_server()
    async with running_services(), redis_listeners_kept_running(app):
        # Batches whose prompts were still being queued when bildgen stopped go on being queued.
        resuming = asyncio.create_task(resume_pending_batches())
        yield
        resuming.cancel()


app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.script(src="/studio.js"), rx.script(src="/batches.js"), rx.script(src="/mask_painter.js")],
)
app.register_lifespan_task(_run_services)
app.add_page(studio_page, route=routes.STUDIO, title="bildgen", on_load=StudioState.open_studio)
app.add_page(
    gallery_page,
    route=routes.GALLERY,
    title="Gallery · bildgen",
    on_load=[GalleryState.open_gallery, BoardsState.open_boards, LightboxState.open_from_query],
)
app.add_page(sign_in_page, route=routes.SIGN_IN_PAGE, title="Sign in · bildgen", on_load=SignInPageState.load)
app.add_page(
    change_password_page,
    route=routes.CHANGE_PASSWORD_PAGE,
    title="Change password · bildgen",
    on_load=SignInPageState.load,
)
app.add_page(sign_up_page, route=routes.SIGN_UP_PAGE, title="Create account · bildgen", on_load=SignInPageState.load)
app.add_page(admin_overview_page, route=routes.ADMIN, title="Admin · bildgen", on_load=OverviewState.open_overview)
app.add_page(
    admin_profiles_page,
    route=routes.ADMIN_PROFILES,
    title="Profiles · bildgen",
    on_load=ProfilesState.open_profiles,
)
app.add_page(
    admin_providers_page,
    route=routes.ADMIN_PROVIDERS,
    title="Providers · bildgen",
    on_load=ProvidersState.open_providers,
)
app.add_page(admin_users_page, route=routes.ADMIN_USERS, title="Users · bildgen", on_load=UsersState.open_users)
app.add_page(admin_groups_page, route=routes.ADMIN_GROUPS, title="Groups · bildgen", on_load=GroupsState.open_groups)
app.add_page(admin_usage_page, route=routes.ADMIN_USAGE, title="Usage · bildgen", on_load=UsageState.open_usage)
app.add_page(audit_page, route=routes.ADMIN_AUDIT, title="Audit log · bildgen", on_load=AuditLogState.open_audit)
app.add_page(queue_page, route=routes.ADMIN_QUEUE, title="Queue · bildgen", on_load=QueueState.open_queue)
app.add_page(account_page, route=routes.ACCOUNT, title="Account · bildgen", on_load=AccountState.open_account)
app.add_page(tokens_page, route=routes.ADMIN_TOKENS, title="API tokens · bildgen", on_load=AdminTokensState.open_tokens)
app.add_page(
    comparison_page,
    route=routes.BATCH_COMPARE_PAGE,
    title="Comparison · bildgen",
    on_load=ComparisonState.open_comparison,
)
app.add_page(batch_page, route=routes.BATCH_PAGE, title="Batch · bildgen", on_load=BatchPageState.open_batch)
app.add_page(batches_page, route=routes.BATCHES, title="Batches · bildgen", on_load=BatchEditorState.open_batches)
app.add_page(packs_page, route=routes.PACKS, title="Packs · bildgen", on_load=PacksState.open_packs)
