"""How an edit mask travels to an OpenAI-compatible server.

bildgen stores masks white = change, black = keep (store/masks.py; AUTOMATIC1111 reads them so).
OpenAI's images/edits reads the alpha channel instead: fully transparent = change. The mask sent
there carries both: white and transparent where the model may paint, black and opaque elsewhere, so
a server that reads either convention sees the same area.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps


def with_alpha(mask_png: bytes) -> bytes:
    """The white = change mask as an RGBA PNG whose transparent pixels are the area to change."""
    with Image.open(io.BytesIO(mask_png)) as opened:
        grey = opened.convert("L")
    both = Image.merge("RGBA", (grey, grey, grey, ImageOps.invert(grey)))
    output = io.BytesIO()
    both.save(output, format="PNG", optimize=True)
    return output.getvalue()
