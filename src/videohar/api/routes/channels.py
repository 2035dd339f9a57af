"""Notification targets: LINE (`/line_tokens`), e-mail (`/email_recipients`) and `/webhooks`.

Each is listed, created, changed, deleted and tested the same way; only the body and the
shown fields differ. Tokens and signing secrets are stored SecretBox-encrypted, bound to
the row, and only ever shown masked (a generated webhook secret once, at creation).
No `from __future__ import annotations` here: the route bodies are per-kind models that
FastAPI must see as real classes, not as names to look up later.
"""

import logging
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from videohar.api.deps import DB, CurrentUser
from videohar.api.routes.notify_common import AccountParams, RowId, account_for, owned
from videohar.api.schemas import Message, errors
from videohar.config import mask_url
from videohar.db.models import User
from videohar.db.notify_models import NotifyTarget, TargetKind
from videohar.notify.channels import EmailChannel, InvalidTarget, WebhookChannel
from videohar.notify.channels.line import line_target_kind
from videohar.notify.secrets_box import SecretBox, mask
from videohar.notify.service import send_test

log = logging.getLogger("videohar.notify")
router = APIRouter(tags=["notification channels"])

LINE_NOTIFY_GONE = (
    "LINE Notify was shut down on 2025-03-31 and its tokens no longer work. Use the LINE Messaging API: "
    'send {"channel_access_token": "<your channel access token>", "to": "<user id U…, group id C… or '
    'room id R…>"} (from the LINE Developers console of your Messaging API channel).'
)
_LINE_TOKEN = re.compile(r"[A-Za-z0-9+/=._-]{20,2048}")


def _line_token(value: str) -> str:
    value = value.strip()
    if not _LINE_TOKEN.fullmatch(value):
        raise ValueError("not a LINE channel access token (20-2048 characters of A-Z a-z 0-9 + / = . _ -)")
    return value


def _line_to(value: str) -> str:
    try:
        line_target_kind(value.strip())
    except InvalidTarget as exc:
        raise ValueError(str(exc)) from None
    return value.strip()


def _email(value: str) -> str:
    try:
        return EmailChannel.normalize_target(value)
    except InvalidTarget as exc:
        raise ValueError(str(exc)) from None


def _url(value: str) -> str:
    try:
        return WebhookChannel.normalize_target(value)
    except InvalidTarget as exc:
        raise ValueError(str(exc)) from None


LineToken = Annotated[str, Field(max_length=2048), AfterValidator(_line_token)]
LineTo = Annotated[str, Field(max_length=64), AfterValidator(_line_to)]
EmailAddress = Annotated[str, Field(max_length=254), AfterValidator(_email)]
WebhookUrl = Annotated[str, Field(max_length=2048), AfterValidator(_url)]
Secret = Annotated[str, Field(min_length=16, max_length=256)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- LINE --------------------------------------------------------------------------------------


class LineTokenCreate(_Body):
    account_uuid: str | None = Field(None, max_length=36, description="Default: your own account.")
    name: str = Field("", max_length=100)
    channel_access_token: LineToken = Field(description="Messaging API channel access token.")
    to: LineTo = Field(description="LINE user (U…), group (C…) or room (R…) id.")
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _seed_body(cls, data: Any) -> Any:
        if isinstance(data, dict) and "token" in data and "channel_access_token" not in data:
            raise ValueError(LINE_NOTIFY_GONE)
        return data


class LineTokenUpdate(_Body):
    name: str | None = Field(None, max_length=100)
    channel_access_token: LineToken | None = None
    to: LineTo | None = None
    enabled: bool | None = None


class TargetOut(BaseModel):
    id: int
    account_uuid: str
    name: str
    enabled: bool
    created_at: datetime


class LineTokenOut(TargetOut):
    to: str
    channel_access_token: str = Field(description="Masked")


# --- e-mail ------------------------------------------------------------------------------------


class EmailRecipientCreate(_Body):
    account_uuid: str | None = Field(None, max_length=36, description="Default: your own account.")
    name: str = Field("", max_length=100)
    email: EmailAddress
    enabled: bool = True


class EmailRecipientUpdate(_Body):
    name: str | None = Field(None, max_length=100)
    email: EmailAddress | None = None
    enabled: bool | None = None


class EmailRecipientOut(TargetOut):
    email: str


# --- webhooks ----------------------------------------------------------------------------------


class WebhookCreate(_Body):
    account_uuid: str | None = Field(None, max_length=36, description="Default: your own account.")
    name: str = Field("", max_length=100)
    url: WebhookUrl = Field(description="http(s) endpoint receiving signed JSON.")
    secret: Secret | None = Field(None, description="Signing secret; default: generated.")
    enabled: bool = True


class WebhookUpdate(_Body):
    name: str | None = Field(None, max_length=100)
    url: WebhookUrl | None = None
    secret: Secret | None = None
    enabled: bool | None = None


class WebhookOut(TargetOut):
    url: str = Field(description="Secret-looking query values masked")
    secret: str = Field(description="Masked")


class WebhookCreated(WebhookOut):
    signing_secret: str | None = Field(
        None, description="The generated signing secret, shown only in this response; None when you gave one."
    )


class TestResult(BaseModel):
    ok: bool
    delivery_id: int
    status: str
    status_code: int | None = None
    error: str | None = None


# --- shared handling ----------------------------------------------------------------------------


def _set_secret(target: NotifyTarget, secret: str) -> None:
    target.secret_enc = SecretBox.from_settings().encrypt(secret, aad=target.secret_aad)
    target.secret_hint = mask(secret)


def _get(db: Session, user: User, kind: TargetKind, target_id: int) -> NotifyTarget:
    target = db.get(NotifyTarget, target_id)
    if target is None or target.kind != kind.value or not owned(user, target.user_id):
        raise HTTPException(404, f"{kind.value} target not found")
    return target


def _base(target: NotifyTarget, db: Session) -> dict[str, Any]:
    owner = db.get(User, target.user_id)
    return {
        "id": target.id,
        "account_uuid": owner.uuid if owner else "",
        "name": target.name,
        "enabled": target.enabled,
        "created_at": target.created_at,
    }


def _add_routes(
    path: str,
    kind: TargetKind,
    create_model: type[_Body],
    update_model: type[_Body],
    out_model: type[TargetOut],
    show: Callable[[NotifyTarget], dict[str, Any]],
    apply: Callable[[NotifyTarget, dict[str, Any]], None],
    created_model: type[TargetOut] | None = None,
) -> None:
    """The six routes of one target kind (list, create, update, delete, test, get)."""
    label = kind.value

    def out(target: NotifyTarget, db: Session, model: type[TargetOut] = out_model, **extra: Any) -> Any:
        return model(**_base(target, db), **show(target), **extra)

    @router.get(path, response_model=list[out_model], responses=errors(401, 403, 404), name=f"list_{label}")
    def list_targets(user: CurrentUser, db: DB, params: AccountParams) -> list[Any]:
        owner = account_for(db, user, params.account_uuid)
        rows = db.scalars(
            select(NotifyTarget)
            .where(NotifyTarget.user_id == owner.id, NotifyTarget.kind == kind.value)
            .order_by(NotifyTarget.id)
        )
        return [out(t, db) for t in rows]

    @router.post(
        path,
        status_code=201,
        response_model=created_model or out_model,
        responses=errors(401, 403, 404, 422),
        name=f"add_{label}",
    )
    def add_target(body: create_model, user: CurrentUser, db: DB) -> Any:  # type: ignore[valid-type]
        values = body.model_dump(exclude_unset=False)
        owner = account_for(db, user, values.pop("account_uuid"))
        target = NotifyTarget(
            uuid=str(uuid.uuid4()), user_id=owner.id, kind=kind.value, name=values.pop("name"), address=""
        )
        target.enabled = values.pop("enabled")
        generated = None
        if kind is TargetKind.webhook and not values.get("secret"):
            generated = values["secret"] = "whsec_" + secrets.token_urlsafe(32)
        apply(target, values)
        db.add(target)
        db.flush()
        log.info("%s target %s added for user %s", label, target.id, owner.id)
        if created_model is not None:
            return out(target, db, created_model, signing_secret=generated)
        return out(target, db)

    @router.get(f"{path}/{{target_id}}", response_model=out_model, responses=errors(401, 404), name=f"get_{label}")
    def get_target(target_id: RowId, user: CurrentUser, db: DB) -> Any:
        return out(_get(db, user, kind, target_id), db)

    @router.patch(
        f"{path}/{{target_id}}", response_model=out_model, responses=errors(401, 404, 422), name=f"update_{label}"
    )
    def update_target(target_id: RowId, body: update_model, user: CurrentUser, db: DB) -> Any:  # type: ignore[valid-type]
        target = _get(db, user, kind, target_id)
        values = body.model_dump(exclude_unset=True)
        for name in ("name", "enabled"):
            if values.get(name) is not None:
                setattr(target, name, values.pop(name))
        apply(target, {k: v for k, v in values.items() if v is not None})
        db.flush()
        return out(target, db)

    @router.delete(f"{path}/{{target_id}}", response_model=Message, responses=errors(401, 404), name=f"delete_{label}")
    def delete_target(target_id: RowId, user: CurrentUser, db: DB) -> Message:
        db.delete(_get(db, user, kind, target_id))
        return Message(message=f"{label} target deleted")

    @router.post(
        f"{path}/{{target_id}}/test", response_model=TestResult, responses=errors(401, 404), name=f"test_{label}"
    )
    def test_target(target_id: RowId, user: CurrentUser, db: DB) -> TestResult:
        """Send a test message now; the result is reported here and kept as a test delivery."""
        delivery, outcome = send_test(db, _get(db, user, kind, target_id))
        db.flush()
        return TestResult(
            ok=outcome.ok,
            delivery_id=delivery.id,
            status=delivery.status,
            status_code=outcome.status_code,
            error=outcome.error,
        )


def _apply_line(target: NotifyTarget, values: dict[str, Any]) -> None:
    if "to" in values:
        target.address = values["to"]
    if "channel_access_token" in values:
        _set_secret(target, values["channel_access_token"])


def _apply_email(target: NotifyTarget, values: dict[str, Any]) -> None:
    if "email" in values:
        target.address = values["email"]


def _apply_webhook(target: NotifyTarget, values: dict[str, Any]) -> None:
    if "url" in values:
        target.address = values["url"]
    if values.get("secret"):
        _set_secret(target, values["secret"])


_add_routes(
    "/line_tokens",
    TargetKind.line,
    LineTokenCreate,
    LineTokenUpdate,
    LineTokenOut,
    lambda t: {"to": t.address, "channel_access_token": t.secret_hint},
    _apply_line,
)
_add_routes(
    "/email_recipients",
    TargetKind.email,
    EmailRecipientCreate,
    EmailRecipientUpdate,
    EmailRecipientOut,
    lambda t: {"email": t.address},
    _apply_email,
)
_add_routes(
    "/webhooks",
    TargetKind.webhook,
    WebhookCreate,
    WebhookUpdate,
    WebhookOut,
    lambda t: {"url": mask_url(t.address), "secret": t.secret_hint},
    _apply_webhook,
    created_model=WebhookCreated,
)
