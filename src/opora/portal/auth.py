"""Sign in (password or e-mail link, then the second factor where the account has one),
sign up, sign out and the language switch."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts import oidc, securitykeys, twofactor
from opora.accounts.actions import create_user, set_user_language
from opora.accounts.models import SecurityKey, SignInMethod, User, normalize_email
from opora.accounts.sessions import forget_sign_in, record_sign_in
from opora.core import jsonin, ratelimit
from opora.core.errors import ValidationFailed
from opora.pages import PageForm, add_action_error, safe_next, signed_in_user
from opora.portal.forms import LinkRequestForm, SignInForm, SignUpForm
from opora.portal.signin_links import send_signin_link, user_for_token


def _home_for(user: User) -> str:
    return reverse("agent:queue") if user.is_agent else reverse("portal:home")


def _within_limit(request: HttpRequest, scope: str, email: str) -> bool:
    # Per address and e-mail, per address alone (many e-mails guessed from one client)
    # and per e-mail alone (one account guessed from many clients).
    return ratelimit.sign_in_allowed(scope, ratelimit.client_address(request.META), email)


class SecondFactorForm(PageForm):
    code = forms.CharField(
        label=_lazy("Code from the app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


# The session's note of a password (or link) accepted while the second factor is due.
PENDING = "_opora_2fa_pending"
KEY_CHALLENGE = "_opora_2fa_key_challenge"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def complete_sign_in(
    request: HttpRequest,
    user: User,
    next_url: str,
    *,
    method: str = SignInMethod.PASSWORD,
    provider_mfa: bool = False,
) -> str:
    """Log the user in and record the session (and how it signed in); answers where to
    go next."""
    request.session.pop(PENDING, None)
    request.session.pop(KEY_CHALLENGE, None)
    login(request, user, backend=BACKEND)
    record_sign_in(request, user, method=method, provider_mfa=provider_mfa)
    if twofactor.must_enrol(user):
        # Their role requires a second factor: setting one up comes before anything else.
        return reverse("agent:profile_security")
    return next_url or _home_for(user)


def first_factor_passed(
    request: HttpRequest, user: User, next_url: str, *, method: str = SignInMethod.PASSWORD
) -> str:
    """After a right password, a sign-in link or single sign-on without the provider's
    second factor: signed in, or asked for Opora's second factor."""
    if not twofactor.has_second_factor(user):
        return complete_sign_in(request, user, next_url, method=method)
    # Not signed in yet: only this note (whose, when) until the second factor is shown.
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "at": time.time(),
        "next": next_url,
        "method": method,
    }
    return reverse("signin-verify")


def _pending(request: HttpRequest) -> tuple[User, str, str] | None:
    """The user whose password was accepted moments ago (within the allowed minutes)."""
    note = request.session.get(PENDING)
    if not isinstance(note, dict):
        return None
    started = note.get("at")
    if not isinstance(started, int | float) or (
        time.time() - started > settings.TWO_FACTOR_PENDING_SECONDS
    ):
        request.session.pop(PENDING, None)
        return None
    user_id = note.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    method = note.get("method")
    if method not in SignInMethod.values:
        method = SignInMethod.PASSWORD
    return user, str(note.get("next") or ""), str(method)


def _expired(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("The sign-in took too long. Please enter your password again."))
    return redirect("signin")


@require_http_methods(["GET", "POST"])
def signin_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app, a recovery code, or a security key."""
    pending = _pending(request)
    if pending is None:
        return _expired(request)
    user, next_url, method = pending
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not _within_limit(request, "auth", user.email):
            form.add_error(None, _("Too many attempts. Please wait a minute and try again."))
            status = 429
        elif twofactor.verify_code(user, form.cleaned_data["code"]) is not None:
            return redirect(complete_sign_in(request, user, next_url, method=method))
        else:
            ratelimit.sign_in_failed("auth")
            form.add_error("code", _("The code is not right."))
            status = 400
    elif request.method == "POST":
        status = 400
    has_keys = SecurityKey.objects.filter(user=user).exists()
    return render(
        request,
        "auth/verify.html",
        {"form": form, "has_keys": has_keys, "has_totp": twofactor.has_totp(user)},
        status=status,
    )


@require_POST
def signin_key_options(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return JsonResponse({"error": _("The sign-in took too long.")}, status=401)
    options, challenge = securitykeys.authentication_options(
        pending[0], securitykeys.relying_party(request)
    )
    request.session[KEY_CHALLENGE] = challenge
    return JsonResponse(options)


@require_POST
def signin_key(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return JsonResponse({"error": _("The sign-in took too long.")}, status=401)
    user, next_url, method = pending
    if not _within_limit(request, "auth", user.email):
        return JsonResponse(
            {"error": _("Too many attempts. Please wait a minute and try again.")}, status=429
        )
    # One challenge, one try: a replayed answer finds none.
    challenge = request.session.pop(KEY_CHALLENGE, "")
    credential: Any
    try:
        credential = jsonin.loads(request.body)
    except jsonin.BadJson:
        credential = None
    if not securitykeys.verify_security_key(
        user, credential=credential, challenge=challenge, rp=securitykeys.relying_party(request)
    ):
        ratelimit.sign_in_failed("auth")
        return JsonResponse({"error": _("The security key was not accepted.")}, status=400)
    return JsonResponse({"redirect": complete_sign_in(request, user, next_url, method=method)})


def root_redirect(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    return redirect(_home_for(user))


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user is not None and request.method == "GET":
        return redirect(safe_next(request, _home_for(user)))
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        # The same budget as the API's token endpoint: both check passwords.
        if not _within_limit(request, "auth", email):
            form.add_error(None, _("Too many attempts. Please wait a minute and try again."))
            status = 429
        else:
            found = authenticate(
                request, username=normalize_email(email), password=form.cleaned_data["password"]
            )
            if isinstance(found, User):
                return redirect(first_factor_passed(request, found, safe_next(request, "")))
            ratelimit.sign_in_failed("auth")
            form.add_error(None, _("The e-mail or password is not right."))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "auth/signin.html",
        {"form": form, "next": safe_next(request, ""), "sso": oidc.provider()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not _within_limit(request, "signup", data["email"]):
            form.add_error(None, _("Too many attempts. Please wait a minute and try again."))
            status = 429
        else:
            try:
                user = create_user(
                    email=data["email"],
                    name=data["name"],
                    password=data["password"],
                    language=translation.get_language(),
                    by=None,
                )
            except ValidationFailed as exc:
                add_action_error(form, exc)
                status = 400
            else:
                return redirect(complete_sign_in(request, user, reverse("portal:home")))
    elif request.method == "POST":
        status = 400
    return render(request, "auth/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def signin_link_request(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = normalize_email(form.cleaned_data["email"])
        if not _within_limit(request, "signin-link", email):
            form.add_error(None, _("Too many attempts. Please wait a minute and try again."))
            return render(request, "auth/link_request.html", {"form": form}, status=429)
        # A blocked customer gets no link (and the same answer as anyone else).
        user = User.objects.filter(email=email, is_active=True, blocked=False).first()
        if user is not None:
            send_signin_link(user)
        # The same answer whether or not the address has an account.
        return render(request, "auth/link_sent.html", {"email": email})
    status = 400 if request.method == "POST" else 200
    return render(request, "auth/link_request.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def signin_link_use(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that open links must not spend them.
    user = user_for_token(token)
    if user is None:
        return render(request, "auth/link_invalid.html", status=400)
    if request.method == "POST":
        # A link proves the mailbox, as a password proves knowing it: one factor.
        return redirect(first_factor_passed(request, user, "", method=SignInMethod.LINK))
    return render(request, "auth/link_confirm.html", {"link_user": user})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    forget_sign_in(request)
    logout(request)
    return redirect("signin")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    response: HttpResponse = HttpResponseRedirect(safe_next(request, reverse("root")))
    if language not in dict(settings.LANGUAGES):
        return response
    user = signed_in_user(request)
    if user is not None:
        set_user_language(user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
