"""QR codes drawn by the application itself (``qrcode``), as inline SVG: no image service,
no CDN, nothing leaves the server. Used where a phone should open an address shown on a
screen (calendar subscriptions) and, later, on certificates."""

from __future__ import annotations

import re

import qrcode
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

_SIZE = re.compile(r' (?:width|height)="[^"]*"')


def qr_svg(text: str, *, label: str) -> Markup:
    """An ``<svg>`` element drawing ``text`` as a QR code (error correction M, a quiet zone
    of four modules), sized by its container; ``label`` is what a screen reader says."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=SvgPathImage)
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    # the drawing scales with its box (its viewBox stays), with a label for screen readers
    head, rest = svg.split(">", 1)
    head = _SIZE.sub("", head).replace("<svg", f'<svg role="img" aria-label="{Markup.escape(label)}"', 1)
    return Markup(f"{head}>{rest}")  # noqa: S704 (drawn by qrcode; the label is escaped)
