"""ASGI middleware of the API: the security headers of every answer.

Plain ASGI (no BaseHTTPMiddleware): it costs one function call per message. Starlette has
TrustedHostMiddleware and CORSMiddleware (main.py adds them), but no middleware for these headers.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# - X-Content-Type-Options: nosniff: a JSON answer is never run as a script or a style sheet.
# - Referrer-Policy: no-referrer: links followed from the docs pages do not carry the API's URL.
# - X-Frame-Options: DENY: no other site can frame the docs pages (clickjacking).
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)


class SecurityHeaders:
    """Add SECURITY_HEADERS to every HTTP answer; a header that a route sets itself is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
