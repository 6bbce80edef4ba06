"""The profile's Profile page (name, language, time zone, signature, notices, password),
its Security page (authenticator app, recovery codes, security keys,
signed-in sessions), its API tokens page, and the admins' two-factor policy page.

Users whose role requires a second factor and who have none are sent to the Security
page before any other workspace page (`EnrolmentRequiredMiddleware`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from opora.accounts import profile, securitykeys, sessions, tokens, twofactor
from opora.accounts.models import ApiToken, User
from opora.core import jsonin
from opora.core.errors import NotFound, OporaError, ValidationFailed
from opora.pages import PageForm, agent_required, current_user
from opora.reports.actions import set_weekly_digest
from opora.reports.selectors import may_get_digest, wants_digest

REGISTER_CHALLENGE = "_opora_key_register_challenge"


class CodeForm(PageForm):
    code = forms.CharField(
        label=_lazy("Code from the app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class DisableForm(PageForm):
    password = forms.CharField(
        label=_lazy("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_lazy("or a current code from the app"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PolicyForm(PageForm):
    agents_required = forms.BooleanField(
        label=_lazy("Agents must sign in with a second factor"), required=False
    )
    admins_required = forms.BooleanField(
        label=_lazy("Administrators must sign in with a second factor"), required=False
    )


def _page(
    request: HttpRequest,
    user: User,
    *,
    status: int = 200,
    code_form: CodeForm | None = None,
    disable_form: DisableForm | None = None,
    recovery_codes: list[str] | None = None,
) -> HttpResponse:
    current = sessions.current_session_id(request)
    listed = [
        (s, sessions.describe_user_agent(s.user_agent), s.pk == current)
        for s in sessions.sessions_of(user)
    ]
    return render(
        request,
        "agent/profile_security.html",
        {
            "nav": "profile",
            "has_totp": twofactor.has_totp(user),
            "enrolment": twofactor.pending_enrolment(user),
            "must_enrol": twofactor.must_enrol(user),
            "required": twofactor.second_factor_required_for(user),
            "code_form": code_form or CodeForm(),
            "disable_form": disable_form or DisableForm(),
            "recovery_codes": recovery_codes,
            "recovery_left": twofactor.recovery_codes_left(user),
            "keys": securitykeys.keys_of(user),
            "sessions": listed,
            "other_sessions": sum(1 for _s, _b, here in listed if not here),
        },
        status=status,
    )


@require_http_methods(["GET"])
@agent_required
def security(request: HttpRequest) -> HttpResponse:
    return _page(request, current_user(request))


@require_POST
@agent_required
def totp_start(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        twofactor.start_totp_enrolment(user)
    except OporaError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("agent:profile_security") + "#totp")


@require_POST
@agent_required
def totp_confirm(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page(request, user, status=400, code_form=form)
    try:
        codes = twofactor.confirm_totp(user, form.cleaned_data["code"])
    except OporaError as exc:
        form.add_error("code", exc.message)
        return _page(request, user, status=400, code_form=form)
    messages.success(request, _("The authenticator app is on. Keep the recovery codes safe."))
    return _page(request, user, recovery_codes=codes)


@require_POST
@agent_required
def totp_disable(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = DisableForm(request.POST)
    if form.is_valid():
        try:
            twofactor.disable_totp(
                user, password=form.cleaned_data["password"], code=form.cleaned_data["code"]
            )
        except OporaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The authenticator app is off."))
            return redirect("agent:profile_security")
    return _page(request, user, status=400, disable_form=form)


@require_POST
@agent_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    try:
        codes = twofactor.regenerate_recovery_codes(user)
    except OporaError as exc:
        messages.error(request, exc.message)
        return redirect("agent:profile_security")
    return _page(request, user, recovery_codes=codes)


@require_POST
@agent_required
def key_options(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    options, challenge = securitykeys.registration_options(
        user, securitykeys.relying_party(request)
    )
    request.session[REGISTER_CHALLENGE] = challenge
    return JsonResponse(options)


@require_POST
@agent_required
def key_add(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    challenge = request.session.pop(REGISTER_CHALLENGE, "")
    try:
        body = jsonin.loads(request.body)
    except jsonin.BadJson:
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"error": _("The request is not valid.")}, status=400)
    try:
        key = securitykeys.add_security_key(
            user,
            name=str(body.get("name") or ""),
            credential=body.get("credential"),
            challenge=str(challenge),
            rp=securitykeys.relying_party(request),
        )
    except OporaError as exc:
        return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)
    messages.success(request, _("The security key “%(name)s” is added.") % {"name": key.name})
    return JsonResponse({"redirect": reverse("agent:profile_security")})


@require_POST
@agent_required
def key_remove(request: HttpRequest, key_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        key = securitykeys.access_own_key(user, key_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    securitykeys.remove_security_key(key, by=user)
    messages.success(request, _("The security key “%(name)s” is removed.") % {"name": key.name})
    return redirect("agent:profile_security")


@require_POST
@agent_required
def session_revoke(request: HttpRequest, session_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = sessions.access_own_session(user, session_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    sessions.revoke_session(found, by=user)
    messages.success(request, _("That session is signed out."))
    return redirect("agent:profile_security")


@require_POST
@agent_required
def sessions_revoke_others(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    count = sessions.revoke_other_sessions(user, keep=sessions.current_session_id(request))
    messages.success(request, _("Signed out everywhere else (%(count)s).") % {"count": count})
    return redirect("agent:profile_security")


@require_http_methods(["GET", "POST"])
@agent_required
def security_settings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_admin:
        raise Http404(_("Only administrators change the sign-in policy."))
    policy = twofactor.two_factor_policy()
    form = PolicyForm(
        request.POST or None,
        initial={
            "agents_required": policy.agents_required,
            "admins_required": policy.admins_required,
        },
    )
    if request.method == "POST" and form.is_valid():
        twofactor.set_two_factor_policy(
            agents_required=form.cleaned_data["agents_required"],
            admins_required=form.cleaned_data["admins_required"],
            by=user,
        )
        messages.success(request, _("The sign-in policy is saved."))
        return redirect("agent:security_settings")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "agent/profile_security_settings.html",
        {"nav": "security-settings", "form": form, "policy": policy},
        status=status,
    )


class EnrolmentRequiredMiddleware:
    """Sends a user whose role requires a second factor, and who has none, from every
    workspace page to the Security page until one is set up."""

    sync_capable = True
    async_capable = True
    PREFIX = "/agent/"
    ALLOWED = "/agent/profile/security"

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        if self._applies(request) and self._must_enrol(request):
            return self._redirect()
        return self.get_response(request)  # type: ignore[no-any-return]

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if self._applies(request) and await sync_to_async(self._must_enrol)(request):
            return self._redirect()
        response: HttpResponse = await self.get_response(request)
        return response

    def _applies(self, request: HttpRequest) -> bool:
        path = request.path
        return path.startswith(self.PREFIX) and not path.startswith(self.ALLOWED)

    @staticmethod
    def _must_enrol(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        return (
            isinstance(user, User)
            and user.is_authenticated
            and user.is_agent
            and twofactor.must_enrol(user)
        )

    @staticmethod
    def _redirect() -> HttpResponse:
        return HttpResponseRedirect(reverse("agent:profile_security"))


# --- API tokens ---

NEVER = "never"


class TokenForm(PageForm):
    name = forms.CharField(
        label=_lazy("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _lazy("e.g. Jira sync, reports script")}),
    )
    scope = forms.ChoiceField(
        label=_lazy("What it may do"),
        choices=[(s, s) for s in tokens.SCOPES],
        initial=tokens.READ,
        widget=forms.RadioSelect,
    )
    expires = forms.ChoiceField(label=_lazy("Expires after"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["expires"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(days), _("%(days)s days") % {"days": days}) if days else (NEVER, _("Never"))
            for days in tokens.lifetime_choices(user)
        ]
        field.initial = "30" if "30" in dict(field.choices) else field.choices[0][0]

    def lifetime(self) -> int | None:
        chosen = self.cleaned_data["expires"]
        return None if chosen == NEVER else int(chosen)


def _token_state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if tokens.is_expired(token) else "active"


def _tokens_page(
    request: HttpRequest,
    user: User,
    *,
    form: TokenForm | None = None,
    new_token: tuple[ApiToken, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    listed = [(t, tokens.scopes_of(t), _token_state(t)) for t in tokens.tokens_of(user)]
    return render(
        request,
        "agent/profile_tokens.html",
        {
            "nav": "tokens",
            "form": form or TokenForm(user=user),
            "scopes": [(s, tokens.SCOPE_HELP[s]) for s in tokens.SCOPES],
            "tokens": listed,
            "new_token": new_token,
        },
        status=status,
    )


@require_http_methods(["GET"])
@agent_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    return _tokens_page(request, current_user(request))


@require_POST
@agent_required
def api_token_create(request: HttpRequest) -> HttpResponse:
    """Makes a token and shows it in this answer only: it is stored as a hash."""
    user = current_user(request)
    form = TokenForm(request.POST, user=user)
    if not form.is_valid():
        return _tokens_page(request, user, form=form, status=400)
    try:
        made = tokens.issue_token(
            user,
            name=form.cleaned_data["name"],
            scopes=[form.cleaned_data["scope"]],
            expires_in_days=form.lifetime(),
        )
    except ValidationFailed as exc:
        form.add_error("expires" if exc.field == "expires_in_days" else None, exc.message)
        return _tokens_page(request, user, form=form, status=400)
    return _tokens_page(request, user, new_token=made)


@require_POST
@agent_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        token = tokens.access_own_token(user, token_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    tokens.revoke_token(token, by=user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("agent:profile_tokens")


# --- The Profile tab: name, language, time zone, signature, notices, password ---


class ProfileForm(PageForm):
    name = forms.CharField(label=_lazy("Name"), max_length=200, required=False)
    language = forms.ChoiceField(label=_lazy("Language"), choices=[])
    time_zone = forms.ChoiceField(label=_lazy("Time zone"), choices=[])
    signature = forms.CharField(
        label=_lazy("E-mail signature"),
        required=False,
        max_length=profile.MAX_SIGNATURE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_lazy("Added under each reply you send by e-mail."),
    )
    notify_new_in_team = forms.BooleanField(label=_lazy("A new ticket in my team"), required=False)
    notify_assigned = forms.BooleanField(label=_lazy("A ticket is assigned to me"), required=False)
    notify_customer_replied = forms.BooleanField(
        label=_lazy("The customer replied on my ticket"), required=False
    )
    notify_sla = forms.BooleanField(label=_lazy("SLA at risk or breached"), required=False)
    weekly_digest = forms.BooleanField(label=_lazy("Weekly KPI digest"), required=False)

    def __init__(self, *args: Any, digest: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]
        self.fields["time_zone"].choices = [(z, z) for z in profile.time_zones()]  # type: ignore[attr-defined]
        if not digest:
            del self.fields["weekly_digest"]

    def notice_fields(self) -> list[forms.BoundField]:
        names = [*profile.NOTICES, "weekly_digest"]
        return [self[name] for name in names if name in self.fields]


class PasswordForm(PageForm):
    current_password = forms.CharField(
        label=_lazy("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _profile_initial(user: User) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": user.name,
        "language": user.language,
        "time_zone": user.time_zone,
        "signature": user.signature,
        "weekly_digest": may_get_digest(user) and wants_digest(user),
    }
    initial |= {name: getattr(user, name) for name in profile.NOTICES}
    return initial


def _profile_page(
    request: HttpRequest,
    user: User,
    *,
    form: ProfileForm | None = None,
    password_form: PasswordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    digest = may_get_digest(user)
    return render(
        request,
        "agent/profile.html",
        {
            "nav": "profile_main",
            "form": form or ProfileForm(initial=_profile_initial(user), digest=digest),
            "password_form": password_form or PasswordForm(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@agent_required
def profile_page(request: HttpRequest) -> HttpResponse:
    """The Profile tab; a POST saves the settings (not the password, see below)."""
    user = current_user(request)
    if request.method == "GET":
        return _profile_page(request, user)
    form = ProfileForm(request.POST, digest=may_get_digest(user))
    if not form.is_valid():
        return _profile_page(request, user, form=form, status=400)
    data = form.cleaned_data
    changes = profile.ProfileChanges(
        name=data["name"],
        language=data["language"],
        time_zone=data["time_zone"],
        signature=data["signature"],
        **{name: data[name] for name in profile.NOTICES},
    )
    try:
        profile.update_profile(user, changes)
    except OporaError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _profile_page(request, user, form=form, status=400)
    if "weekly_digest" in data:
        set_weekly_digest(user, enabled=data["weekly_digest"])
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language
    messages.success(request, _("Profile saved."))
    return redirect("agent:profile")


@require_POST
@agent_required
def profile_password(request: HttpRequest) -> HttpResponse:
    """Change the password; this browser stays signed in, every other one is signed out."""
    user = current_user(request)
    form = PasswordForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, user, password_form=form, status=400)
    data = form.cleaned_data
    try:
        count = profile.change_password(
            user,
            current=data["current_password"],
            new=data["new_password"],
            again=data["new_password2"],
            keep_session=sessions.current_session_id(request),
        )
    except OporaError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _profile_page(request, user, password_form=form, status=400)
    update_session_auth_hash(request, user)
    messages.success(
        request,
        _("Password changed. Signed out everywhere else (%(count)s).") % {"count": count},
    )
    return redirect("agent:profile")
