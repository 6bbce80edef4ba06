"""What every API module shares: authentication, error answers and shapes, body parsing, cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from opora.accounts import tokens
from opora.accounts.models import User
from opora.core import jsonin
from opora.core.errors import OporaError
from opora.tickets.attachments import IncomingFile

M = TypeVar("M", bound=BaseModel)


# Shapes several routers share; field names here are a public contract.

LanguageName = Literal["en", "ru"]


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    email: str
    name: str


class ErrorItem(Schema):
    field: str | None
    code: str
    message: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[ErrorItem]


class StrictInput(BaseModel):
    """A request body that refuses unknown fields: a misspelt field is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class BearerToken(HttpBearer):
    """A personal token, good for the operations its scopes cover.

    `OporaAPI` gives every operation its own instance, made for the scope that operation
    needs; outside it the token answers 403 `token_scope` before the handler runs.
    """

    def __init__(self, needs: str = tokens.ADMIN) -> None:
        super().__init__()
        self.needs = needs

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = tokens.authenticate(token.strip(), needs=self.needs)
        if user is not None:
            request.user = user
        return user


# A token for scripts and integrations; the signed-in session (with its CSRF check)
# for Opora's own pages.
AUTH = [BearerToken(), django_auth]


def current_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


def _anonymous(request: HttpRequest) -> str:
    """Lets a request without credentials through as an anonymous visitor.

    Only without credentials: a token that failed (unknown, revoked, expired) gets 401,
    so a script with a stale token learns of it instead of silently seeing less.
    """
    if request.headers.get("Authorization", "").strip():
        raise AuthenticationError()
    return "anonymous"


# For what the help center shows to anyone: a token, a session, or nobody at all.
OPTIONAL_AUTH = [*AUTH, _anonymous]


def viewer(request: HttpRequest) -> User | None:
    """The signed-in user of an OPTIONAL_AUTH endpoint, or None for an anonymous visitor."""
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) and user.is_active else None


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape of every error answer: a summary plus one entry per field."""
    return {
        "detail": message,
        "code": code,
        "errors": [{"field": field, "code": code, "message": message}],
    }


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """The input field an error concerns: ("body", "payload", "tags", 0) -> "tags.0"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]  # "body" and the handler's parameter name
    elif parts and parts[0] in ("query", "path", "header", "cookie", "form", "file"):
        parts = parts[1:]
    return ".".join(parts) or None


def install_error_handlers(api: NinjaAPI) -> None:
    def opora_error(request: HttpRequest, exc: OporaError) -> HttpResponse:
        return api.create_response(
            request, error_body(exc.code, exc.message, exc.field), status=exc.status
        )

    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        entries = [
            {
                "field": _field_of(e.get("loc", ())),
                "code": str(e.get("type", "invalid")),
                "message": str(e.get("msg", "invalid value")),
            }
            for e in exc.errors
        ]
        summary = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else str(e["message"]) for e in entries
        )
        return api.create_response(
            request,
            {"detail": summary or "invalid input", "code": "invalid", "errors": entries},
            status=422,
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            429: "rate_limited",
        }.get(exc.status_code, "error")
        return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(
            request, error_body("request_too_large", "The request body is too large."), status=413
        )

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (OporaError, opora_error),
        (NinjaValidationError, validation_error),
        (HttpError, http_error),
        (RequestDataTooBig, too_big),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def parse_input(request: HttpRequest, model: type[M]) -> tuple[M, list[IncomingFile]]:
    """Read a JSON body, or a multipart form with files under "attachments".

    Endpoints that take files accept both, so a script can post JSON when it has no
    files and a form when it has.
    """
    if not (request.content_type or "").startswith("multipart/form-data"):
        return read_json(request.body, model), []
    data: dict[str, Any] = {}
    for key in request.POST:
        values = request.POST.getlist(key)
        data[key] = values if key in _list_fields(model) else values[-1]
    files = [
        IncomingFile(
            name=upload.name or "attachment",
            content=upload,
            size=upload.size or 0,
            content_type=upload.content_type or "",
        )
        for upload in request.FILES.getlist("attachments")
    ]
    return _validated(data, model), files


def read_json(body: bytes, model: type[M]) -> M:
    """A JSON body read and checked against `model`, as every endpoint that takes
    files reads one without them (the event loop's path reads its bodies here too)."""
    if not body:
        data: Any = {}
    else:
        try:
            data = jsonin.loads(body)
        except jsonin.BadJson as exc:
            raise HttpError(400, f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise HttpError(400, "The request body must be a JSON object.")
    return _validated(data, model)


def _validated(data: Any, model: type[M]) -> M:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise NinjaValidationError(
            [
                {**e, "loc": ("body", "payload", *e["loc"])}
                for e in exc.errors(include_url=False, include_context=False)
            ]
        ) from None


def _list_fields(model: type[BaseModel]) -> set[str]:
    return {
        name
        for name, info in model.model_fields.items()
        if getattr(info.annotation, "__origin__", None) is list or "list[" in str(info.annotation)
    }


def body_doc(model: type[BaseModel], *, with_files: bool) -> dict[str, Any]:
    """OpenAPI text for an endpoint that reads its body with `parse_input`."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if with_files:
        form_schema = json.loads(json.dumps(schema))
        form_schema.setdefault("properties", {})["attachments"] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
        }
        content["multipart/form-data"] = {"schema": form_schema}
    return {"requestBody": {"required": True, "content": content}}


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise NinjaValidationError(
            [{"loc": ("query", "cursor"), "msg": "invalid cursor", "type": "invalid_cursor"}]
        ) from None
    if not isinstance(values, list) or len(values) != length:
        raise NinjaValidationError(
            [{"loc": ("query", "cursor"), "msg": "invalid cursor", "type": "invalid_cursor"}]
        )
    return values


# --- Token scopes: which scope each operation needs, decided here for all of them ---

SCOPE_KEY = "x-opora-scope"
READ_METHODS = frozenset({"GET", "HEAD"})


def needs_scope(scope: str, **openapi_extra: Any) -> dict[str, Any]:
    """`openapi_extra` of an operation whose scope is not the default one: a write that
    is ticket work in a router of settings, a harmless write, a read that is not one.

        @router.post("/bot/tickets/{number}/feedback", openapi_extra=needs_scope(TICKETS))
    """
    assert scope in tokens.SCOPES, scope
    return {**openapi_extra, SCOPE_KEY: scope}


def operation_scope(operation: Operation, writes: str) -> str:
    """The scope an operation needs: its own override, else `read` for GET and HEAD,
    else what writes of its router need (`writes`, given to `OporaAPI.add_router`)."""
    override = (operation.openapi_extra or {}).get(SCOPE_KEY)
    if override is not None:
        return str(override)
    if set(operation.methods) <= READ_METHODS:
        return tokens.READ
    return writes


def _require_scope(operation: Operation, writes: str) -> None:
    """Gives the operation a bearer check of its own scope, and documents the scope."""
    if not operation.auth_callbacks:
        return  # open to everyone (signing in, signed callbacks): no token is read
    needed = operation_scope(operation, writes)
    operation.auth_callbacks = [
        BearerToken(needed) if isinstance(check, BearerToken) else check
        for check in operation.auth_callbacks
    ]
    operation.openapi_extra = {**(operation.openapi_extra or {}), SCOPE_KEY: needed}
    note = f"Token scope: `{needed}`."
    operation.description = f"{operation.description}\n\n{note}" if operation.description else note


# Answers any operation may give whatever its handler declares, by what it takes:
# these come from the shared machinery (authentication, parsing, the body size limit),
# so they are documented here once rather than on every endpoint.
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_COMMON_ANSWERS = {
    "400": "The body is not valid JSON.",
    "401": "No valid token or session (`token_expired`: the token's time is over).",
    "403": "Not allowed; `token_scope`: the token's scope does not cover this operation.",
    "404": "Not found, or not visible to you.",
    "413": "The request body is too large.",
    "422": "A parameter or a field is not valid.",
}


class BoundedParser(Parser):
    """Request bodies read with `core.jsonin`: bounded depth, never a RecursionError."""

    def parse_body(self, request: HttpRequest) -> Any:
        return jsonin.loads(request.body)


class OporaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists the shared error answers of each operation,
    reading bodies with `BoundedParser`, and whose every operation checks a token's
    scope.

    Each router is added with the scope its writes need (`add_router(..., writes=...)`,
    `admin` unless said otherwise); reads need `read`; an operation may override either
    with `needs_scope`. The check is bound to each operation when the routes are built,
    so an endpoint added later gets it without asking.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parser", BoundedParser())
        # Before NinjaAPI's own set-up, which adds its default router.
        self._writes: dict[int, str] = {}
        super().__init__(*args, **kwargs)

    def add_router(  # type: ignore[override]
        self, prefix: str, router: Router, *, writes: str = tokens.ADMIN, **kwargs: Any
    ) -> None:
        assert writes in tokens.SCOPES, writes
        self._writes[id(router)] = writes
        super().add_router(prefix, router, **kwargs)

    def _get_bound_routers(self) -> Any:
        fresh = self._bound_routers_cache is None
        bound = super()._get_bound_routers()
        if fresh:
            for bound_router in bound:
                writes = self._writes.get(id(bound_router.template), tokens.ADMIN)
                for path_view in bound_router.path_operations.values():
                    for operation in path_view.operations:
                        _require_scope(operation, writes)
        return bound

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    _document_common_answers(operation)
        return schema


def _document_common_answers(operation: dict[str, Any]) -> None:
    params = operation.get("parameters", [])
    wanted = set()
    if operation.get("security"):
        wanted.add("401")
        if operation.get(SCOPE_KEY, tokens.ADMIN) != tokens.READ:
            wanted.add("403")
    if params or "requestBody" in operation:
        wanted.add("422")
    if any(p.get("in") == "path" for p in params):
        wanted.add("404")
    if "requestBody" in operation:
        wanted |= {"400", "413"}
    responses = operation["responses"]
    for status in sorted(wanted):
        if status not in responses and int(status) not in responses:
            responses[status] = {
                "description": _COMMON_ANSWERS[status],
                "content": {"application/json": {"schema": _ERROR_REF}},
            }
