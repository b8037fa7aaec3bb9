"""QR codes for authenticator apps, drawn server-side as inline SVG (the CSP allows no third-party images)."""

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(uri: str) -> SafeString:
    """`uri` as an <svg> element to embed in a page: no XML prologue, no style attribute (the strict CSP would
    block it), labelled for screen readers."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    markup = image.to_string(encoding="unicode")
    markup = markup[markup.index("<svg") :].replace(
        "<svg ", '<svg class="qr" role="img" aria-label="QR code for your authenticator app" ', 1
    )
    # qrcode's own output for an otpauth URI our service built; nothing typed by a user reaches it.
    return mark_safe(markup)  # noqa: S308
