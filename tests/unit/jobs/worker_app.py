"""A bildgen instance without its pages, for tests that kill and stop real worker processes: granian
serves it as scripts/serve serves the app, and each worker's lifespan runs bildgen's services (its
JobRunner included) exactly as the app's does (bildgen.services.running_services)."""

import contextlib

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bildgen.services import running_services


@contextlib.asynccontextmanager
async def _lifespan(_app):
    async with running_services():
        yield


async def _ping(_request):
    return PlainTextResponse("ok")


app = Starlette(lifespan=_lifespan, routes=[Route("/ping", _ping)])
