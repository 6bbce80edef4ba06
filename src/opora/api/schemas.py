"""Shapes of API input and output; field names here are a public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
TypeName = Literal["question", "incident", "problem", "complaint", "suggestion"]
ChannelName = Literal["web", "email", "chat", "telegram", "vk", "phone", "api", "monitoring"]
LanguageName = Literal["en", "ru"]
RoleName = Literal["customer", "agent", "admin"]


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    email: str
    name: str


class TicketOut(Schema):
    number: int
    subject: str
    status: StatusName
    priority: PriorityName
    type: TypeName
    line: int
    channel: str
    language: str
    tags: list[str]
    requester: UserRef
    organization: Ref | None
    team: Ref | None
    assignee: UserRef | None
    problem: int | None = Field(description="number of the problem this incident belongs to")
    merged_into: int | None = Field(description="number of the ticket this one was merged into")
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="pass as ?cursor= to get the next page")
    count: int | None = Field(description="total matching tickets, when asked with count=true")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1_000_000)


class TicketCreate(_Strict):
    subject: str = Field(max_length=255)
    body: str = Field(description="text of the first message")
    body_html: str = ""
    priority: PriorityName | None = None
    type: TypeName | None = None
    tags: list[str] = []
    requester: str | int | None = Field(
        None, description="agents only: e-mail or id of the customer the ticket is for"
    )
    requester_name: str = ""
    team: int | None = None
    channel: ChannelName | None = None
    language: LanguageName | None = None


class TicketUpdate(_Strict):
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: TypeName | None = None
    assignee: int | Literal["me"] | None = Field(None, description="user id, 'me', or null")
    team: int | None = Field(None, description="team id, or null to clear")
    line: Literal[1, 2, 3] | None = None
    tags: list[str] | None = Field(None, description="replace all tags")
    add_tags: list[str] = []
    remove_tags: list[str] = []


class MessageCreate(_Strict):
    body: str
    body_html: str = ""
    internal: bool = Field(False, description="true for an internal note agents only see")


class MergeIn(Schema):
    into: int = Field(description="number of the ticket that stays")


class ProblemLinkIn(Schema):
    problem: int = Field(description="number of the problem ticket")


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str
    content_id: str = Field(
        "", description="Content-ID of an e-mail part; body_html shows it as cid:<content_id>"
    )


class MessageOut(Schema):
    id: int
    ticket: int
    author: UserRef | None
    internal: bool
    channel: str
    body: str
    body_html: str
    created_at: datetime
    attachments: list[AttachmentOut]


class EventOut(Schema):
    id: int
    kind: str
    actor: UserRef | None
    old: str
    new: str
    data: dict[str, object]
    created_at: datetime


class TokenIn(Schema):
    email: str
    password: str
    name: str = "api"


class UserOut(Schema):
    id: int
    email: str
    name: str
    role: RoleName
    support_line: int | None
    is_team_lead: bool
    organization: Ref | None
    language: str
    time_zone: str
    is_active: bool


class TokenOut(Schema):
    token: str
    expires_at: datetime | None
    user: UserOut


class UserCreate(Schema):
    email: str
    name: str = ""
    password: str | None = None
    role: RoleName = "customer"
    support_line: Literal[1, 2, 3] | None = None
    is_team_lead: bool = False
    organization: int | None = None
    language: LanguageName | None = None


class OrganizationOut(Schema):
    id: int
    name: str
    domains: list[str]
    shared_tickets: bool


class OrganizationCreate(Schema):
    name: str
    domains: list[str] = []
    shared_tickets: bool = False


class TeamOut(Schema):
    id: int
    name: str
    email: str
    description: str
    members: list[UserRef]


class TeamCreate(Schema):
    name: str
    email: str = ""
    description: str = ""
    members: list[int] = []


class ErrorItem(Schema):
    field: str | None
    code: str
    message: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[ErrorItem]
