"""Workers end with the server that started them (scripts/serve), however it ends.

Granian stops its workers when the server gets SIGTERM, but a server killed outright (SIGKILL, the
out-of-memory killer) would leave them serving its port, and a second bildgen could then start beside
them. Linux sends a process a chosen signal when its parent ends (PR_SET_PDEATHSIG): each worker
asks for SIGTERM, its usual graceful stop.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

logger = logging.getLogger(__name__)

# Set by scripts/serve.py to its own process id; the workers it starts inherit it.
SERVER_PID = "BILDGEN_SERVER_PID"
_PR_SET_PDEATHSIG = 1


def stop_with_server() -> None:
    """In a worker of scripts/serve: receive SIGTERM when the server process ends. Elsewhere: nothing."""
    server = os.environ.get(SERVER_PID, "")
    if not server.isdigit() or int(server) == os.getpid() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        logger.warning("This worker cannot follow its server's end: prctl failed (errno %d)", ctypes.get_errno())
        return
    if os.getppid() != int(server):  # the server ended before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)
