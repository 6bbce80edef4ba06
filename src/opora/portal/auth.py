"""Sign in (password or e-mail link), sign up, sign out and the language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts.actions import create_user, set_user_language
from opora.accounts.models import User, normalize_email
from opora.core import ratelimit
from opora.core.errors import ValidationFailed
from opora.pages import add_action_error, safe_next, signed_in_user
from opora.portal.forms import LinkRequestForm, SignInForm, SignUpForm
from opora.portal.signin_links import send_signin_link, user_for_token


def _home_for(user: User) -> str:
    return reverse("agent:queue") if user.is_agent else reverse("portal:home")


def _within_limit(request: HttpRequest, scope: str, email: str) -> bool:
    # Per address and e-mail, per address alone (many e-mails guessed from one client)
    # and per e-mail alone (one account guessed from many clients).
    return ratelimit.sign_in_allowed(scope, ratelimit.client_address(request.META), email)


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
                login(request, found)
                return redirect(safe_next(request, _home_for(found)))
            ratelimit.sign_in_failed("auth")
            form.add_error(None, _("The e-mail or password is not right."))
    elif request.method == "POST":
        status = 400
    return render(
        request, "auth/signin.html", {"form": form, "next": safe_next(request, "")}, status=status
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
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("portal:home")
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
        user = User.objects.filter(email=email, is_active=True).first()
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
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_home_for(user))
    return render(request, "auth/link_confirm.html", {"link_user": user})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
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
