"""Profile images: what an upload must be, and the thumbnails made of it. Pure functions: the
router and the task (users/tasks.py) do the storing.

Pillow, not the file's name or declared type, says what a file is. The image's size is read from
its header and checked before any pixel is decoded, so that a small file declaring a huge image
(a decompression bomb) never reaches memory.
"""

import io
import time
import uuid
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
# Square thumbnails, in pixels: the image is cropped to its centre square, then scaled.
SIZES = (64, 256)
MEDIA_TYPE = "image/webp"
WEBP_QUALITY = 85


class NotAnImageError(ValueError):
    """Pillow recognises no accepted format (PNG, JPEG, WebP) in the file."""


class UnreadableImageError(ValueError):
    """A recognised image that is damaged, truncated or has too many pixels."""


def new_version() -> str:
    """A name for one upload: 32 hex digits, the time first, so that a newer upload's version
    sorts after an older one's, then random ones, so that no name can be guessed."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:16]}"


def upload_key(user_id: int, version: str) -> str:
    return f"avatars/{user_id}/{version}.upload"


def thumbnail_key(user_id: int, version: str, size: int) -> str:
    return f"avatars/{user_id}/{version}.{size}.webp"


def _open(file: BinaryIO, max_pixels: int) -> Image.Image:
    """The image in file, its header read and checked, no pixel decoded yet."""
    file.seek(0)
    try:
        image = Image.open(file, formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise NotAnImageError("not a PNG, JPEG or WebP image") from None
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours by default
        raise UnreadableImageError("the image has too many pixels") from None
    except (OSError, SyntaxError, ValueError) as exc:  # e.g. a WebP cut short
        raise UnreadableImageError(f"the image cannot be read ({exc})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise UnreadableImageError(f"the image has more than {max_pixels} pixels")
    return image


def check(file: BinaryIO, max_pixels: int) -> None:
    """Raise NotAnImageError or UnreadableImageError unless file holds a whole PNG, JPEG or WebP
    image of at most max_pixels pixels.

    Cheap enough for a request: a PNG's chunks are read and their checksums compared, a JPEG is
    decoded at the smallest scale that still covers the largest thumbnail (its decoder can skip
    the rest). The full decode is the task's.
    """
    with _open(file, max_pixels) as image:
        try:
            if image.format == "JPEG":
                image.draft("RGB", (SIZES[-1], SIZES[-1]))
                image.load()
            else:
                image.verify()
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnreadableImageError(f"the image cannot be read ({exc})") from None


def thumbnails(file: BinaryIO, max_pixels: int) -> dict[int, bytes]:
    """A WebP thumbnail of each of SIZES, SIZE x SIZE pixels, made of the image in file.

    The EXIF orientation is applied to the pixels; then no metadata is kept (EXIF with its GPS
    position, XMP, ICC profile, comments): the thumbnails are encoded from the pixels alone.
    """
    with _open(file, max_pixels) as image:
        try:
            image.draft("RGB", (SIZES[-1], SIZES[-1]))  # JPEG only; a no-op for the others
            upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnreadableImageError(f"the image cannot be read ({exc})") from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    pixels = upright.convert("RGBA" if has_alpha else "RGB")
    made = {}
    for size in SIZES:
        thumbnail = ImageOps.fit(pixels, (size, size), Image.Resampling.LANCZOS)
        # A new image of the same pixels carries no `info` (metadata) into the encoder.
        clean = Image.frombytes(thumbnail.mode, thumbnail.size, thumbnail.tobytes())
        out = io.BytesIO()
        clean.save(out, "WEBP", quality=WEBP_QUALITY)
        made[size] = out.getvalue()
    return made
