"""Security headers on every response: a strict Content-Security-Policy, Permissions-Policy
and, behind TLS, HSTS.

The policy allows scripts only from this site and inline scripts carrying the request's
nonce (`{{ request.csp_nonce }}` in a template), images from this site only (so a
tracking pixel in a customer's e-mail does not tell the sender an agent's address; a
view may allow remote images for one answer with `allow_remote_images(request)` after
the agent asked for them), no plugins, no framing, forms posting to this site only.
Styles may be inline (attributes), which carries no script.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


def allow_remote_images(request: HttpRequest) -> None:
    """Let this one response show images from other sites (the agent asked for them)."""
    request.csp_remote_images = True  # type: ignore[attr-defined]


def policy(nonce: str, *, remote_images: bool = False) -> str:
    images = "'self' data: blob: https:" if remote_images else "'self' data: blob:"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "media-src 'self' blob: data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def SecurityHeadersMiddleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = get_response(request)
        # A view that serves content for other sites (the chat widget's script and API)
        # sets its own policy; every other answer gets the desk's.
        if "Content-Security-Policy" not in response:
            remote = getattr(request, "csp_remote_images", False)
            response["Content-Security-Policy"] = policy(nonce, remote_images=remote)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.SECURE_COOKIES and request.is_secure():
            response.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return middleware
