"""Single sign-on pages: `/signin/oidc` sends the browser to the provider,
`/signin/oidc/callback` takes it back (accounts/oidc.py does the protocol and decides
who the person is). Both answer 404 while single sign-on is not configured."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opora.accounts import oidc
from opora.accounts.models import SignInMethod
from opora.core import ratelimit
from opora.pages import safe_next
from opora.portal.auth import complete_sign_in, first_factor_passed

# Where to go after signing in, kept in the session between the two requests.
NEXT = "_opora_sso_next"


def _configured() -> oidc.Provider:
    config = oidc.provider()
    if config is None:
        raise Http404(_("Single sign-on is not set up."))
    return config


def _callback_url() -> str:
    # The address registered at the provider: the desk's public one, not whatever
    # Host header a request came with.
    return settings.BASE_URL.rstrip("/") + reverse("signin-oidc-callback")


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "auth/sso_refused.html",
        {"message": message, "sso": oidc.provider()},
        status=status,
    )


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    config = _configured()
    try:
        url = oidc.authorization_url(request, config, _callback_url())
    except oidc.SsoRefused as exc:
        return _refused(request, exc.message, 502)
    request.session[NEXT] = safe_next(request, "")
    return redirect(url)


def _within_limit(request: HttpRequest) -> bool:
    # The password sign-in's budget: per client address (the state is per attempt, so
    # the per-account share limits nothing more), and the desk-wide failure limit.
    state = request.GET.get("state", "")[:100]
    return ratelimit.sign_in_allowed("auth", ratelimit.client_address(request.META), f"sso:{state}")


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    config = _configured()
    if not _within_limit(request):
        return _refused(request, _("Too many attempts. Please wait a minute and try again."), 429)
    try:
        person = oidc.person_from_callback(request, config)
        user = oidc.sign_in_person(person)
    except oidc.SsoRefused as exc:
        ratelimit.sign_in_failed("auth")
        return _refused(request, exc.message, exc.status)
    next_url = str(request.session.pop(NEXT, "") or "")
    if person.second_factor:
        # The provider asked a second factor: Opora does not ask its own again.
        return redirect(
            complete_sign_in(request, user, next_url, method=SignInMethod.SSO, provider_mfa=True)
        )
    return redirect(first_factor_passed(request, user, next_url, method=SignInMethod.SSO))
