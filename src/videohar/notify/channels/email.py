"""E-mail alerts over SMTP: text + HTML alternatives with the annotated snapshot attached.

TLS is verified by default (STARTTLS on 587 or implicit TLS on 465); a private CA can be
trusted with `ca_file`. Credentials are only ever sent inside TLS. SMTP reply codes
decide the retry policy: 4xx is temporary, 5xx permanent, as RFC 5321 means them.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

from email_validator import EmailNotValidError, validate_email

from videohar.notify.channels.base import (
    Channel,
    DeliveryError,
    DeliveryResult,
    InvalidChannelConfig,
    InvalidTarget,
    PermanentFailure,
    TemporaryFailure,
    idempotency_uuid,
    register_channel,
)
from videohar.notify.message import AlertMessage
from videohar.notify.secrets_box import mask

__all__ = ["DEFAULT_PORTS", "EmailChannel", "Security", "compose_email"]

log = logging.getLogger(__name__)

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}


def _address(value: str, *, what: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except (EmailNotValidError, AttributeError):
        raise InvalidTarget(f"{what} is not a valid e-mail address") from None


def compose_email(message: AlertMessage, *, sender: str, to: str, idempotency_key: str) -> EmailMessage:
    """The MIME message: multipart/mixed(alternative(text, html), image/jpeg snapshot)."""
    mail = EmailMessage()
    mail["Subject"] = message.subject()
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "videohar.invalid"
    # Stable across retries, so a retried delivery that did arrive twice is recognisable.
    mail["Message-ID"] = f"<{idempotency_uuid(idempotency_key)}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-VideoHAR-Event-Id"] = str(message.event_id)
    mail.set_content(message.as_text())
    mail.add_alternative(message.as_html(), subtype="html")
    snapshot = message.snapshot()
    if snapshot:
        mail.add_attachment(
            snapshot, maintype="image", subtype="jpeg", filename=f"event-{message.event_id}-snapshot.jpg"
        )
    return mail


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"[:300]


def _by_code(code: int, reason: str) -> DeliveryError:
    return (TemporaryFailure if 400 <= code < 500 else PermanentFailure)(reason, status_code=code)


@register_channel
class EmailChannel(Channel):
    """Sends alerts through one SMTP submission server."""

    type_name = "email"

    def __init__(
        self,
        host: str,
        *,
        sender: str,
        port: int | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ca_file: str | None = None,
        verify_tls: bool = True,
        local_hostname: str | None = None,
    ) -> None:
        if security not in DEFAULT_PORTS:
            raise InvalidChannelConfig("security must be 'starttls', 'tls' or 'none'")
        if not host or any(c.isspace() for c in host):
            raise InvalidChannelConfig("SMTP host is missing or malformed")
        if username and security == "none":
            raise InvalidChannelConfig("SMTP login needs TLS: use security 'starttls' or 'tls'")
        if username and not password:
            raise InvalidChannelConfig("SMTP username given without a password")
        if "\r" in sender or "\n" in sender:
            raise InvalidChannelConfig("sender must be one line")
        try:
            self._envelope_from = _address(parseaddr(sender)[1], what="sender")
        except InvalidTarget as exc:
            raise InvalidChannelConfig(str(exc)) from None
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security: Security = security
        self.username = username
        self._password = password
        self.sender = sender
        self.timeout = timeout
        self.local_hostname = local_hostname or socket.gethostname()  # getfqdn() may hang on DNS
        self._tls = self._tls_context(ca_file, verify_tls) if security != "none" else None

    def __repr__(self) -> str:
        return (
            f"<EmailChannel {self.security}://{self.host}:{self.port} user={self.username!r} "
            f"password={mask(self._password)!r}>"
        )

    @staticmethod
    def _tls_context(ca_file: str | None, verify: bool) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError):
            raise InvalidChannelConfig("cannot load the SMTP CA file") from None
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @classmethod
    def normalize_target(cls, target: str) -> str:
        if not isinstance(target, str):
            raise InvalidTarget("recipient is not a valid e-mail address")
        return _address(target, what="recipient")

    def send(self, message: AlertMessage, target: str, *, idempotency_key: str) -> DeliveryResult:
        to = self.normalize_target(target)
        mail = compose_email(message, sender=self.sender, to=to, idempotency_key=idempotency_key)
        try:
            self._deliver(mail, to)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b""))
            raise _by_code(code, f"recipient refused: {_reply(smtplib.SMTPResponseException(code, text))}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise _by_code(exc.smtp_code, f"SMTP login failed: {_reply(exc)}") from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            raise TemporaryFailure(f"SMTP connection lost ({type(exc).__name__})") from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"SMTP refused: {_reply(exc)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"SMTP server lacks a needed extension: {exc}") from None
        except smtplib.SMTPException as exc:
            raise PermanentFailure(f"SMTP error: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentFailure(f"SMTP server certificate not trusted: {exc.verify_message}") from None
        except TimeoutError:
            raise TemporaryFailure(f"SMTP timed out after {self.timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise TemporaryFailure(f"SMTP network error ({type(exc).__name__})") from None
        log.info("e-mail for event %s to %s accepted by %s", message.event_id, to, self.host)
        return DeliveryResult(channel=self.type_name, target=to, status_code=250, provider_id=mail["Message-ID"])

    def _deliver(self, mail: EmailMessage, to: str) -> None:
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._tls,
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self._password or "")
            smtp.send_message(mail, from_addr=self._envelope_from, to_addrs=[to])
