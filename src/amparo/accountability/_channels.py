"""Delivering notices: e-mail over SMTP with STARTTLS, a webhook, or a platform's reporting
API through a named :class:`NoticeAdapter`.

Every delivery returns the other side's answer as text (kept in the ledger) or raises
:class:`FetchError` saying what failed; :class:`NotConfiguredError` when the channel is not
set up on this server. E-mail is never sent in clear: a server that does not offer
STARTTLS, or whose certificate does not verify, gets nothing.
"""

from __future__ import annotations

import email.policy
import json
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from amparo.accountability._model import Notice, NoticeAdapter
from amparo.errors import AmparoError, FetchError, NotConfiguredError
from amparo.remote import UrlFetcher

__all__ = ["Notifier", "SmtpConfig"]

_ANSWER_LIMIT = 1000


@dataclass(frozen=True)
class SmtpConfig:
    """The SMTP server e-mail notices go through (STARTTLS always)."""

    host: str
    port: int = 587
    sender: str = "amparo@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout: float = 30.0

    def tls(self) -> ssl.SSLContext:
        """Certificates and host names verified, against ``ca_file`` or the system roots."""
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


def _smtp_failed(what: str) -> FetchError:
    return FetchError(
        f"the e-mail notice was not delivered: {what}",
        hint="check AMPARO_ACCOUNTABILITY_SMTP_* (host, port, login, CA file); the notice "
        "is tried again later",
    )


def send_email(config: SmtpConfig, to: str, notice: Notice) -> str:
    """Send ``notice`` to ``to``; return the server's answer to the message."""
    message = EmailMessage(policy=email.policy.SMTP)  # CRLF line ends, as SMTP needs
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = notice.subject
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message.set_content(notice.text())
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise _smtp_failed(
                    f"{config.host}:{config.port} does not offer STARTTLS, and notices are "
                    "never sent in clear"
                )
            smtp.starttls(context=config.tls())
            smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
            code, reply = smtp.mail(config.sender)
            if code != 250:
                raise _smtp_failed(f"MAIL FROM refused: {code} {reply.decode(errors='replace')}")
            code, reply = smtp.rcpt(to)
            if code not in (250, 251):
                raise _smtp_failed(f"RCPT TO refused: {code} {reply.decode(errors='replace')}")
            code, reply = smtp.data(message.as_bytes())
            if code != 250:
                raise _smtp_failed(
                    f"the message was refused: {code} {reply.decode(errors='replace')}"
                )
    except AmparoError:
        raise
    except ssl.SSLError as exc:
        raise _smtp_failed(f"TLS with {config.host}:{config.port} failed: {exc.reason}") from None
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else error
        raise _smtp_failed(f"the server answered {exc.smtp_code} {text}") from None
    except (smtplib.SMTPException, OSError) as exc:  # e.g. AUTH not offered, refused login
        raise _smtp_failed(f"{config.host}:{config.port}: {type(exc).__name__}: {exc}") from None
    return f"{code} {reply.decode(errors='replace')}"[:_ANSWER_LIMIT]


def send_webhook(fetcher: UrlFetcher, url: str, notice: Notice) -> str:
    """POST ``notice`` as JSON to ``url`` through ``fetcher`` (public addresses only unless
    it allows private ones; pinned to the checked address; one total deadline); return the
    status and the start of the answer."""
    body = json.dumps(notice.to_dict()).encode()
    try:
        answer = fetcher.post(url, body, "application/json")
    except FetchError as exc:
        raise FetchError(
            f"the webhook notice was not delivered: {exc.message}",
            hint="check the platform's webhook URL; the notice is tried again later",
        ) from None
    text = f"HTTP {answer.status}: {answer.body[:_ANSWER_LIMIT].decode(errors='replace')}"
    if not 200 <= answer.status < 300:
        raise FetchError(
            f"the webhook notice was refused: {text[:200]}",
            hint="the notice is tried again later",
        )
    return text[:_ANSWER_LIMIT]


@dataclass
class Notifier:
    """Delivers a notice over a channel (``email``, ``webhook``, ``api``)."""

    smtp: SmtpConfig | None = None
    adapters: Mapping[str, NoticeAdapter] = field(default_factory=dict)
    fetcher: UrlFetcher | None = None

    def deliver(self, channel: str, target: str, notice: Notice) -> str:
        """The receiving side's answer, or :class:`FetchError` / :class:`NotConfiguredError`."""
        if channel == "email":
            if self.smtp is None:
                raise NotConfiguredError(
                    "e-mail notices need an SMTP server",
                    hint="set AMPARO_ACCOUNTABILITY_SMTP_HOST (and _PORT, _USERNAME, ...)",
                )
            return send_email(self.smtp, target, notice)
        if channel == "webhook":
            if self.fetcher is None:
                raise NotConfiguredError("webhook notices need a URL fetcher")
            return send_webhook(self.fetcher, target, notice)
        adapter = self.adapters.get(target)
        if adapter is None:
            raise NotConfiguredError(
                f"no reporting-API adapter named {target!r} is installed",
                hint="register the platform's adapter with the runtime "
                "(Runtime.notice_adapters[name] = adapter)",
            )
        return adapter.send(notice)[:_ANSWER_LIMIT]
