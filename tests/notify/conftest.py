"""Real peers for the notification channels: an SMTP server (aiosmtpd) with STARTTLS/TLS and AUTH,
and a threaded local HTTP server whose answers each test scripts (LINE stand-in, webhook receiver).
TLS uses a self-signed certificate for localhost / 127.0.0.1 made here with `cryptography`."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import simplejpeg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from videohar.notify.message import AlertMessage

SMTP_USER = "alerts@example.com"
SMTP_PASSWORD = "smtp-Pa55word-that-must-never-leak"


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """Self-signed CA-style certificate valid for localhost and 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return TlsFiles(cert_path, key_path)


@pytest.fixture(scope="session")
def snapshot_jpeg() -> bytes:
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[10:30, 20:40] = (0, 0, 255)
    return simplejpeg.encode_jpeg(frame, colorspace="BGR")


# --- SMTP ---------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    authenticated_as: str | None
    tls: bool


@dataclass
class SmtpPeer:
    host: str
    port: int
    received: list[ReceivedMail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler:
    """Accepts mail; ``full@`` recipients get 452 (temporary), ``nobody@`` 550 (permanent)."""

    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("full@"):
            return "452 4.2.2 Mailbox full"
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
        self.peer.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login, tls)
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_smtp(tls_files: TlsFiles, *, implicit_tls: bool) -> tuple[Controller, SmtpPeer]:
    peer = SmtpPeer("127.0.0.1", _free_port())

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == SMTP_USER
            and auth_data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            peer.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, auth_data=auth_data if ok else None, handled=False)

    kwargs: dict = {"authenticator": authenticator, "auth_required": True}
    if implicit_tls:
        kwargs.update(ssl_context=tls_files.server_context(), auth_require_tls=False)
    else:
        kwargs.update(tls_context=tls_files.server_context(), require_starttls=True, auth_require_tls=True)
    # With implicit TLS (encrypted from the first byte) aiosmtpd, which only counts STARTTLS as TLS,
    # warns per connection that AUTH does not require TLS; the e-mail tests filter that warning.
    controller = Controller(
        _Handler(peer),
        hostname=peer.host,
        port=peer.port,
        ready_timeout=15,
        server_hostname="localhost",
        **kwargs,
    )
    controller.start()
    return controller, peer


@pytest.fixture(scope="module")
def smtp_starttls(tls_files: TlsFiles) -> Iterator[SmtpPeer]:
    """Submission server on loopback: STARTTLS required, AUTH required."""
    controller, peer = _start_smtp(tls_files, implicit_tls=False)
    yield peer
    controller.stop()


@pytest.fixture(scope="module")
def smtp_implicit_tls(tls_files: TlsFiles) -> Iterator[SmtpPeer]:
    """SMTPS server on loopback: TLS from the first byte, AUTH required."""
    controller, peer = _start_smtp(tls_files, implicit_tls=True)
    yield peer
    controller.stop()


@pytest.fixture
def smtp_peer(smtp_starttls: SmtpPeer) -> SmtpPeer:
    smtp_starttls.received.clear()
    smtp_starttls.logins.clear()
    return smtp_starttls


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], bytes]


class HttpPeer:
    """Threaded HTTP server on 127.0.0.1; `respond(request)` decides each answer."""

    def __init__(self, respond: Callable[[Request], Reply]) -> None:
        self.respond = respond
        self.requests: list[Request] = []
        self.release = threading.Event()  # handlers that must hang wait on this
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                peer.requests.append(request)
                status, headers, body = peer.respond(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_peer() -> Iterator[Callable[[Callable[[Request], Reply]], HttpPeer]]:
    """Factory: ``peer = http_peer(respond)``; every peer is shut down after the test."""
    peers: list[HttpPeer] = []

    def start(respond: Callable[[Request], Reply]) -> HttpPeer:
        peers.append(HttpPeer(respond))
        return peers[-1]

    yield start
    for peer in peers:
        peer.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    return _free_port()


# --- messages -----------------------------------------------------------------------------------


@pytest.fixture
def make_alert(snapshot_jpeg: bytes) -> Callable[..., AlertMessage]:
    """Factory of a realistic alert; keyword arguments override `AlertMessage.build` ones."""

    def make(**overrides) -> AlertMessage:
        values = {
            "event_id": 42,
            "camera_name": "Front gate",
            "area_name": "Walkway",
            "action_label": "fall",
            "score": 0.913,
            "occurred_at": datetime(2026, 3, 14, 14, 30, 5, tzinfo=UTC),
            "timezone": "Asia/Tokyo",
            "public_url": "https://har.example.com",
            "snapshot_jpeg": snapshot_jpeg,
            "camera_id": 3,
            "area_id": 9,
            "track_id": 17,
        }
        values.update(overrides)
        return AlertMessage.build(**values)

    return make


@pytest.fixture
def smtp_login() -> tuple[str, str]:
    """(user, password) the SMTP peers accept."""
    return SMTP_USER, SMTP_PASSWORD
