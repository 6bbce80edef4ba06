"""People and their groupings: users (e-mail login, roles), organizations, teams, API tokens."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Administrator")


class SupportLine(models.IntegerChoices):
    FIRST = 1, _("1st line")
    SECOND = 2, _("2nd line")
    THIRD = 3, _("3rd line")


class Language(models.TextChoices):
    EN = "en", _("English")
    RU = "ru", _("Russian")


class Organization(models.Model):
    """A customer's company; its members may share their tickets with each other."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    shared_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
    )
    notes = models.TextField(_("notes"), blank=True)
    # A customer the desk treats with extra care: marked in lists and on the card.
    vip = models.BooleanField(_("VIP"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Values of the admin-defined fields (crm.FieldDefinition, target "organization"),
    # by key: read with the row, so lists pay no extra query; crm validates each write.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Written by crm's contract actions, read by the SLA clock for new tickets: the
    # policy the contract promises, its support hours (a business calendar) and the
    # last day it does (None: no end).
    contract_policy_id = models.PositiveIntegerField(null=True, blank=True)
    contract_calendar_id = models.PositiveIntegerField(null=True, blank=True)
    contract_expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(models.Model):
    """An e-mail domain whose new requesters join the organization automatically."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


def normalize_email(email: str) -> str:
    """Addresses compare case-insensitively: keep them lower-cased and trimmed."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: customers, agents (lines 1-3, team leads) and admins."""

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    support_line = models.PositiveSmallIntegerField(
        _("support line"), choices=SupportLine.choices, null=True, blank=True
    )
    is_team_lead = models.BooleanField(_("team lead"), default=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Django admin access; granted to Opora admins.
    is_staff = models.BooleanField(default=False)
    # What an hour of this agent's work costs; ticket cost = time logged x rate.
    cost_per_hour = models.DecimalField(
        _("cost per hour"), max_digits=10, decimal_places=2, default=0
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Customers: an e-mail when an agent answers a request made in the portal or chat.
    notify_by_email = models.BooleanField(_("e-mail me when my request is answered"), default=True)
    # A duplicate customer merged into another: the account stays (deactivated) as the
    # record of the merge, and whatever still finds it (an old address) is sent on.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_accounts",
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)
    # Agents: free tags of what they know ("billing", "sql"), and the languages they
    # answer in (codes of `Language`), for routing and for the people who plan shifts.
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # Customers: a blocked person's mail and messages are kept but open no ticket, get
    # no auto-reply, and the portal does not let them sign in (accounts/backends.py).
    blocked = models.BooleanField(_("blocked"), default=False)
    # Mail to this address bounced for good (a delivery report, inbox/email/noise.py):
    # shown on the customer's card and in the API; automatic mail to it stops.
    email_undeliverable_at = models.DateTimeField(
        _("mail undeliverable since"), null=True, blank=True
    )
    email_undeliverable_reason = models.CharField(
        _("why mail is undeliverable"), max_length=300, blank=True
    )
    # Agents: appended to their e-mail replies (inbox/email/outbound.py).
    signature = models.TextField(_("e-mail signature"), blank=True, max_length=2000)
    # Agents: which notices of the desk they get by e-mail (the weekly digest's switch
    # is reports.DigestPreference). Notices that are not sent yet keep the choice for
    # when they are.
    notify_new_in_team = models.BooleanField(_("a new ticket in my team"), default=True)
    notify_assigned = models.BooleanField(_("a ticket is assigned to me"), default=True)
    notify_customer_replied = models.BooleanField(
        _("the customer replied on my ticket"), default=True
    )
    notify_sla = models.BooleanField(_("SLA at risk or breached"), default=True)
    # Customers: values of the admin-defined fields (crm.FieldDefinition, target
    # "customer"), tags, and a contract of their own (see Organization).
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    contract_policy_id = models.PositiveIntegerField(null=True, blank=True)
    contract_calendar_id = models.PositiveIntegerField(null=True, blank=True)
    contract_expires_on = models.DateField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()
    # Not stored: set per request when the session signed in by single sign-on and the
    # provider asked a second factor (accounts/sessions.py); the role's second-factor
    # requirement is then met for this session (accounts/twofactor.must_enrol).
    second_factor_at_provider: bool = False

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["role", "is_active"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_agent(self) -> bool:
        """Agents and admins both work tickets; 'agent' here means staff of the desk."""
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def email_undeliverable(self) -> bool:
        return self.email_undeliverable_at is not None

    @property
    def reachable_by_email(self) -> bool:
        """Whether mail to this person's address can arrive (not a channel-only account)."""
        return not self.email.endswith("@" + UNREACHABLE_DOMAIN)


# Addresses of people known only by a channel (a chat visitor, a messenger account):
# the domain is reserved (RFC 2606), so no mail is ever sent to them.
UNREACHABLE_DOMAIN = "customers.opora.invalid"


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Live chat")
    TELEGRAM = "telegram", _("Telegram")
    VK = "vk", _("VK")
    WHATSAPP = "whatsapp", _("WhatsApp")
    # An account at the desk's OpenID provider: "<issuer> <sub>" (accounts/oidc.py).
    OIDC = "oidc", _("Single sign-on")


class Identity(models.Model):
    """How a person reaches the desk on one channel: an address, a phone number, a chat
    visitor, a messenger account. One person may have many; each belongs to one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=255)
    name = models.CharField(_("name on the channel"), max_length=200, blank=True)
    # Proven to belong to the person (a confirmed address, a phone number the
    # messenger vouches for): only verified identities merge people.
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")
        ]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Team(models.Model):
    """A queue of tickets worked by its member agents."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    email = models.EmailField(_("reply address"), blank=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="api")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    # Space-separated scopes (`accounts/tokens.py`): read, tickets, admin. Tokens made
    # before scopes existed had the user's full power, so they keep `admin`.
    scopes = models.CharField(max_length=100, default="admin")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class TwoFactorPolicy(models.Model):
    """Which roles must sign in with a second factor: one row, changed by admins."""

    agents_required = models.BooleanField(_("required for agents"), default=False)
    admins_required = models.BooleanField(_("required for administrators"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"agents={self.agents_required} admins={self.admins_required}"


class TotpDevice(models.Model):
    """A user's authenticator app. Unconfirmed until a code from it was entered once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    # Base32, as authenticator apps take it; the server must read it to check codes.
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The 30-second step of the last accepted code: neither it nor an earlier one is
    # accepted again, so a code seen over someone's shoulder is spent.
    last_used_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; only its SHA-256 is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class SecurityKey(models.Model):
    """A WebAuthn authenticator (a USB or NFC key, a platform passkey) of one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_keys")
    name = models.CharField(_("name"), max_length=100)
    # base64url of the credential id the authenticator chose.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class SignInMethod(models.TextChoices):
    PASSWORD = "password", _("password")
    LINK = "link", _("e-mail link")
    SSO = "sso", _("single sign-on")


class SignInSession(models.Model):
    """One signed-in browser: listed in the profile and revocable from there."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signin_sessions")
    # SHA-256 of the session key: the key itself would sign in whoever reads this table.
    session_key_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(max_length=400, blank=True)
    address = models.CharField(max_length=64, blank=True)
    # How the person proved who they are; for single sign-on, whether the provider
    # says it asked a second factor (then Opora's own was not asked: accounts/oidc.py).
    method = models.CharField(
        max_length=16, choices=SignInMethod.choices, default=SignInMethod.PASSWORD
    )
    provider_mfa = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"


class SsoGroupMapping(models.Model):
    """A group at the OpenID provider whose members work at the desk: the role, support
    line and teams its members get. Edited by admins (`/agent/sso`, `/api/v1/sso/`)."""

    group = models.CharField(_("group"), max_length=255, unique=True)
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=[(Role.AGENT.value, Role.AGENT.label), (Role.ADMIN.value, Role.ADMIN.label)],
        default=Role.AGENT,
    )
    support_line = models.PositiveSmallIntegerField(
        _("support line"), choices=SupportLine.choices, null=True, blank=True
    )
    teams = models.ManyToManyField(Team, related_name="sso_mappings", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group"]

    def __str__(self) -> str:
        return self.group


class Invitation(models.Model):
    """An invitation to work at the desk, sent by e-mail: the link in it (its token is
    kept as a SHA-256 only) lets the person set a password once, within its lifetime;
    the account is created then, with the role, line and teams chosen here."""

    email = models.EmailField(_("e-mail"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=[(Role.AGENT.value, Role.AGENT.label), (Role.ADMIN.value, Role.ADMIN.label)],
        default=Role.AGENT,
    )
    support_line = models.PositiveSmallIntegerField(
        _("support line"), choices=SupportLine.choices, null=True, blank=True
    )
    teams = models.ManyToManyField(Team, related_name="invitations", blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.email


class AccountEventKind(models.TextChoices):
    TOTP_ENROLLED = "totp_enrolled"
    TOTP_DISABLED = "totp_disabled"
    RECOVERY_CODES_ISSUED = "recovery_codes_issued"
    RECOVERY_CODE_USED = "recovery_code_used"
    KEY_ADDED = "key_added"
    KEY_REMOVED = "key_removed"
    SESSION_REVOKED = "session_revoked"
    TOKEN_CREATED = "api_token_created"  # noqa: S105 - an event kind
    TOKEN_REVOKED = "api_token_revoked"  # noqa: S105 - an event kind
    POLICY_CHANGED = "two_factor_policy_changed"
    SSO_LINKED = "sso_linked"
    SSO_CREATED = "sso_created"
    SSO_SYNCED = "sso_synced"
    SSO_MAPPING_CHANGED = "sso_mapping_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event kind
    PRESENCE_CHANGED = "presence_changed"


class AccountEvent(models.Model):
    """The audit trail of an account's security: codes, never translated labels."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_events")
    kind = models.CharField(max_length=40, choices=AccountEventKind.choices)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id}"


__all__ = [
    "AccountEvent",
    "AccountEventKind",
    "ApiToken",
    "Invitation",
    "Language",
    "Organization",
    "OrganizationDomain",
    "RecoveryCode",
    "Role",
    "SecurityKey",
    "SignInMethod",
    "SignInSession",
    "SsoGroupMapping",
    "SupportLine",
    "Team",
    "TotpDevice",
    "TwoFactorPolicy",
    "User",
    "hash_token",
    "normalize_email",
]
