"""The accountability service the runtime owns: settings bound once, the notice and
takedown rounds its worker runs, and the evidence sink and reporting-API adapters that
are plugged into it."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from amparo.accountability._channels import Notifier, SmtpConfig
from amparo.accountability._model import EvidenceSink, NoticeAdapter
from amparo.accountability._monitor import CheckPolicy, HostLimiter, run_check_round
from amparo.accountability._notices import NoticePolicy, run_notice_round
from amparo.accountability._sightings import IntakeContext
from amparo.config import Settings
from amparo.store import utcnow

__all__ = ["Accountability"]

_ANSWER_BYTES = 64 * 1024


def _smtp(settings: Settings) -> SmtpConfig | None:
    if not settings.accountability_smtp_host:
        return None
    return SmtpConfig(
        host=settings.accountability_smtp_host,
        port=settings.accountability_smtp_port,
        sender=settings.accountability_notifier_email or "amparo@localhost",
        username=settings.accountability_smtp_username,
        password=settings.accountability_smtp_password,
        ca_file=settings.accountability_smtp_ca_file,
        timeout=settings.accountability_smtp_timeout,
    )


class Accountability:
    """Notices and takedown checks over a runtime (``ctx``), with the operator's settings.

    ``evidence`` is where sightings' bytes go (the vault; None refuses sightings) and
    ``adapters`` the installed reporting-API adapters by name; both may be set after
    construction. ``clock`` and ``rng`` are what rounds read time and jitter from (tests
    pass their own: no test waits for real time).
    """

    def __init__(
        self,
        ctx: IntakeContext,
        settings: Settings,
        *,
        evidence: EvidenceSink | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.evidence = evidence
        self.adapters: dict[str, NoticeAdapter] = {}
        self.clock = clock
        self.rng = rng or random.Random()
        self.notice_policy = NoticePolicy(
            interval=timedelta(hours=settings.accountability_notice_hours),
            escalate_after=settings.accountability_escalate_after,
            check_after=timedelta(seconds=settings.accountability_check_seconds),
            notifier_name=settings.accountability_notifier_name,
            notifier_email=settings.accountability_notifier_email,
            batch=settings.accountability_check_batch,
        )
        self.check_policy = CheckPolicy(
            interval=timedelta(seconds=settings.accountability_check_seconds),
            max_backoff=timedelta(seconds=settings.accountability_check_max_backoff_seconds),
            jitter=settings.accountability_check_jitter,
            host_interval=timedelta(seconds=settings.accountability_host_interval_seconds),
            batch=settings.accountability_check_batch,
            pdq_threshold=settings.accountability_pdq_threshold,
        )
        self.limiter = HostLimiter(self.check_policy.host_interval)
        self.smtp = _smtp(settings)

    def notifier(self) -> Notifier:
        # The runtime's fetcher (address checks, pinning, deadline), reading little back.
        fetcher = dataclasses.replace(self.ctx.fetcher, max_bytes=_ANSWER_BYTES)
        return Notifier(smtp=self.smtp, adapters=self.adapters, fetcher=fetcher)

    def notice_round(self, now: datetime | None = None) -> int:
        """Send the notices due now (or at ``now``); return how many items were handled."""
        return run_notice_round(
            self.ctx.session, self.notifier(), self.notice_policy, now or self.clock()
        )

    def check_round(self, now: datetime | None = None) -> int:
        """Make the takedown checks due now (or at ``now``); return how many were made."""
        return run_check_round(
            self.ctx.session,
            self.ctx.fetcher,
            self.ctx.hasher,
            self.check_policy,
            self.limiter,
            self.rng,
            now or self.clock(),
        )

    def round(self) -> None:
        """One round of the server's worker: notices, then checks, at the clock's now (the
        checks run even if the notices failed; the worker logs the failure)."""
        now = self.clock()
        try:
            self.notice_round(now)
        finally:
            self.check_round(now)
