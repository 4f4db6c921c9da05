"""Helpers of the accountability tests: an in-memory evidence vault, a route server on
127.0.0.1 for faults (slow hosts, 503s, redirects, webhook answers), local SMTP servers,
benign images. Platforms' behaviours toward notices (removes at once, after days, never,
soft-removes, geo-blocks, re-uploads, rate-limits) are the package's
:mod:`amparo.accountability.fakes`, used in ``test_accountability_fakes.py``."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amparo.media import synthetic
from amparo.store import UnitOfWork

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class MemoryVault:
    """An :class:`EvidenceSink` that keeps bytes in memory (the real vault is bound at
    merge)."""

    def __init__(self) -> None:
        self.items: dict[str, bytes] = {}

    def preserve(self, uow: UnitOfWork, data: bytes, *, source: str, url: str, sha256: str) -> str:
        assert hashlib.sha256(data).hexdigest() == sha256
        evidence_id = f"ev-{len(self.items) + 1}"
        self.items[evidence_id] = data
        return evidence_id


def jpeg(seed: int = 1) -> bytes:
    image = synthetic.make("photo_like", 320, 240, seed=seed)
    return synthetic.encode(image, "JPEG", quality=92)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    ctype: str = "image/jpeg"
    headers: dict[str, str] = field(default_factory=dict)
    trickle: bool = False


class FakePlatform:
    """Serves routes on 127.0.0.1 and records webhook POSTs and every GET."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.posts: list[tuple[str, dict[str, object]]] = []
        self.gets: list[str] = []
        self.webhook_status = 202
        self.stop = threading.Event()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                platform.gets.append(self.path)
                route = platform.routes.get(self.path, Route(404, b"not found", "text/plain"))
                self.send_response(route.status)
                self.send_header("Content-Type", route.ctype)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                extra = 10 if route.trickle else 0
                self.send_header("Content-Length", str(len(route.body) + extra))
                self.end_headers()
                if route.trickle:  # a byte now and then, until the client gives up
                    while not platform.stop.is_set():
                        try:
                            self.wfile.write(b"x")
                            self.wfile.flush()
                        except OSError:
                            return
                        platform.stop.wait(0.05)
                    return
                self.wfile.write(route.body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                platform.posts.append((self.path, json.loads(self.rfile.read(length))))
                body = b'{"ticket": "T-1"}'
                self.send_response(platform.webhook_status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def serve(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# -- SMTP --------------------------------------------------------------------------------


@dataclass
class Smtp:
    port: int
    ca_file: Path
    messages: list[tuple[str, list[str], bytes]]


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def smtp_server(tmp_path: Path, *, starttls: bool, refuse: bool = False) -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller

    messages: list[tuple[str, list[str], bytes]] = []

    class Handler:
        async def handle_RCPT(
            self, server: object, session: object, envelope: object, address: str, options: object
        ) -> str:
            if refuse:
                return "550 5.7.1 Mailbox unavailable"
            envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
            return "250 OK"

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.content)  # type: ignore[attr-defined]
            )
            return "250 2.0.0 Ok: queued as FAKE123"

    cert_file, key_file = _certificate(tmp_path)
    tls = None
    if starttls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert_file, key_file)
    with socket.socket() as probe:  # a free port (aiosmtpd's controller needs one up front)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=starttls,
    )
    controller.start()
    try:
        yield Smtp(port, cert_file, messages)
    finally:
        controller.stop()
