"""A small pool for CPU-heavy image work (decoding, hashing, thumbnails).

One thread: many images arriving at once queue here instead of crowding the GIL, so the
event loop keeps about half of it for every user's clicks (a burst takes longer to save, clicks stay quick).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

IMAGE_WORK = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bildgen-image")


async def in_image_pool(function: Callable[..., T], *args: Any) -> T:
    # In the caller's context (as asyncio.to_thread does): its messages keep the user's language.
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(IMAGE_WORK, context.run, functools.partial(function, *args))
