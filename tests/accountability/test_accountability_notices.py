"""Notices: e-mail over STARTTLS (a local aiosmtpd), webhooks and reporting-API adapters;
re-notification, escalation, failures and their retries — each a ledger entry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import json
from collections.abc import Callable

import pytest
from _acc_helpers import T0, FakePlatform, Route, Smtp, jpeg
from fastapi.testclient import TestClient
from sqlalchemy import select

from amparo import accountability as acc
from amparo import ledger
from amparo.errors import FetchError
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow

HOUR = dt.timedelta(hours=1)


def _kinds(amparo: Amparo) -> list[str]:
    with amparo.session() as s:
        return [
            k
            for k in s.scalars(select(LedgerEntryRow.kind).order_by(LedgerEntryRow.id))
            if k.startswith("accountability.")
        ]


def _use_smtp(amparo: Amparo, smtp: Smtp) -> None:
    amparo.accountability.smtp = acc.SmtpConfig(
        host="127.0.0.1", port=smtp.port, sender="hotline@amparo.example", ca_file=smtp.ca_file,
        timeout=10,
    )  # fmt: skip


def test_email_notice_over_starttls(
    amparo: Amparo,
    fake: FakePlatform,
    smtp: Smtp,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    _use_smtp(amparo, smtp)
    add_platform(channel="email", target="abuse@fakeshare.example", trusted=False)
    url = fake.serve("/p/1.jpg", Route(body=jpeg(1)))
    sighting = sight(url)
    assert amparo.accountability.notice_round(T0) == 1
    assert len(smtp.messages) == 1
    sender, to, raw = smtp.messages[0]
    assert sender == "hotline@amparo.example" and to == ["abuse@fakeshare.example"]
    text = email.message_from_bytes(raw).get_payload(decode=True).decode()  # type: ignore[union-attr]
    for required in (url, "Why the content is illegal", "bona fide belief", "Trusted flagger"):
        assert required in text
    with amparo.session() as s:
        timeline = acc.sighting_timeline(s, sighting.id)
    notice = timeline[-1]
    assert notice.event == "notice" and "queued as FAKE123" in str(notice.detail["answer"])
    assert _kinds(amparo)[-2:] == ["accountability.notice", "accountability.notice_answer"]


def test_smtp_without_starttls_is_refused_and_retried(
    amparo: Amparo,
    fake: FakePlatform,
    plain_smtp: Smtp,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    _use_smtp(amparo, plain_smtp)
    add_platform(channel="email", target="abuse@fakeshare.example")
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    service = amparo.accountability
    assert service.notice_round(T0) == 1
    assert plain_smtp.messages == []  # nothing sent in clear
    with amparo.session() as s:
        item = acc.get_sighting(s, sighting.id)
        step = acc.sighting_timeline(s, sighting.id)[-1]
    assert step.event == "notice_failed" and "STARTTLS" in str(step.detail["answer"])
    assert item.notices_sent == 0 and item.first_notice_at is None
    assert item.next_notice_at == T0 + dt.timedelta(minutes=5)  # retried after a back-off
    assert _kinds(amparo)[-1] == "accountability.notice_failed"
    assert service.notice_round(T0 + dt.timedelta(minutes=4)) == 0
    assert service.notice_round(T0 + dt.timedelta(minutes=5)) == 1
    with amparo.session() as s:
        assert acc.get_sighting(s, sighting.id).next_notice_at == T0 + dt.timedelta(minutes=15)


def test_smtp_refusing_the_recipient_is_a_failure(
    amparo: Amparo,
    fake: FakePlatform,
    refusing_smtp: Smtp,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    _use_smtp(amparo, refusing_smtp)
    add_platform(channel="email", target="abuse@fakeshare.example")
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    assert amparo.accountability.notice_round(T0) == 1
    with amparo.session() as s:
        step = acc.sighting_timeline(s, sighting.id)[-1]
    assert step.event == "notice_failed" and "RCPT TO refused: 550" in str(step.detail["answer"])
    assert refusing_smtp.messages == []


def test_smtp_unreachable_is_a_clear_failure(smtp: Smtp) -> None:
    config = acc.SmtpConfig(host="127.0.0.1", port=1, ca_file=smtp.ca_file, timeout=5)
    notifier = acc.Notifier(smtp=config)
    notice = acc.Notice(1, 1, "p", "https://x.example/1", "why", "Amparo", None, False, False,
                        "00" * 32, T0)  # fmt: skip
    try:
        notifier.deliver("email", "abuse@x.example", notice)
    except FetchError as exc:
        assert "not delivered" in exc.message and exc.hint
    else:
        raise AssertionError("delivered to a closed port")


def test_renotify_daily_and_escalate_to_the_legal_contact(
    amparo: Amparo,
    fake: FakePlatform,
    smtp: Smtp,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    _use_smtp(amparo, smtp)
    amparo.accountability.notice_policy = dataclasses.replace(
        amparo.accountability.notice_policy, escalate_after=2
    )
    add_platform(target=fake.url("/dsa"), legal="legal@fakeshare.example")
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    service = amparo.accountability
    for day in range(4):
        assert service.notice_round(T0 + day * 24 * HOUR) == 1
        assert service.notice_round(T0 + day * 24 * HOUR + 23 * HOUR) == 0
    assert [body["notice_number"] for _, body in fake.posts] == [1, 2, 3, 4]
    assert [body["escalated"] for _, body in fake.posts] == [False, False, True, True]
    assert [to for _, to, _ in smtp.messages] == [["legal@fakeshare.example"]] * 2
    with amparo.session() as s:
        notices = [e for e in acc.sighting_timeline(s, sighting.id) if e.event == "notice"]
        records = [
            json.loads(d.record_text)["data"]
            for d in ledger.entries_of_kinds(s, ["accountability.notice"])
        ]
    assert len(notices) == 6 and sum(1 for n in notices if n.detail["escalated"]) == 2
    assert len(records) == 6
    assert all((r["recipient"] == "legal@fakeshare.example") == r["escalated"] for r in records)
    assert all(len(r["content_sha256"]) == 64 for r in records)


def test_api_adapter_and_a_missing_one(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    sent: list[acc.Notice] = []

    class Portal:
        def send(self, notice: acc.Notice) -> str:
            sent.append(notice)
            return "ticket 42"

    add_platform(channel="api", target="portal", legal=None)
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    service = amparo.accountability
    assert service.notice_round(T0) == 1  # no adapter installed: a failure, retried
    with amparo.session() as s:
        step = acc.sighting_timeline(s, sighting.id)[-1]
    assert step.event == "notice_failed" and "portal" in str(step.detail["answer"])
    service.adapters["portal"] = Portal()
    assert service.notice_round(T0 + HOUR) == 1
    assert [n.url for n in sent] == [sighting.url] and sent[0].trusted_flagger
    with amparo.session() as s:
        step = acc.sighting_timeline(s, sighting.id)[-1]
    assert step.event == "notice" and step.detail["answer"] == "ticket 42"


def test_webhook_refusal_is_a_failure(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    fake.webhook_status = 500
    add_platform(target=fake.url("/dsa"))
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    assert amparo.accountability.notice_round(T0) == 1
    with amparo.session() as s:
        item = acc.get_sighting(s, sighting.id)
        step = acc.sighting_timeline(s, sighting.id)[-1]
    assert step.event == "notice_failed" and "HTTP 500" in str(step.detail["answer"])
    assert item.notices_sent == 0


def test_explanation_names_banks_and_ai() -> None:
    text = acc.explanation(("NCMEC",), "declared_ai")
    assert "NCMEC" in text and "AI-generated" in text
    assert "investigator" in acc.explanation((), None)


def test_platform_answer_is_recorded_against_the_newest_notice(
    client: TestClient,
    headers: Callable[[str], dict[str, str]],
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    add_platform(target=fake.url("/dsa"))
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    h = headers("investigator")
    route = f"/v1/accountability/sightings/{sighting.id}/answers"
    early = client.post(route, json={"answer": "we removed it"}, headers=h)
    assert early.status_code == 400 and "no notice" in early.json()["message"]
    amparo.accountability.notice_round(T0)
    done = client.post(route, json={"answer": "Ticket 8812: removed"}, headers=h)
    assert done.status_code == 201, done.text
    assert client.post(route, json={"answer": ""}, headers=h).status_code == 400
    assert client.post(route, json={"answer": "x"}, headers=headers("auditor")).status_code == 403
    missing = client.post(
        "/v1/accountability/sightings/99/answers", json={"answer": "x"}, headers=h
    )
    assert missing.status_code == 404
    with amparo.session() as s:
        answers = [
            json.loads(d.record_text)["data"]
            for d in ledger.entries_of_kinds(s, ["accountability.notice_answer"])
        ]
    assert answers[0]["key_id"] is None  # the webhook's own answer
    assert answers[-1]["answer"] == "Ticket 8812: removed"
    assert isinstance(answers[-1]["key_id"], int)


def test_a_notice_claimed_by_a_dead_replica_is_sent_once_after_its_lease(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
) -> None:
    from amparo.accountability import _repo

    add_platform(target=fake.url("/dsa"))
    sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    lease = amparo.accountability.notice_policy.lease
    with amparo.session() as s:  # claimed, then the replica died before sending
        assert len(_repo.claim_due(s, "notice", T0, T0 + lease, 10)) == 1
    service = amparo.accountability
    assert service.notice_round(T0 + lease / 2) == 0
    assert service.notice_round(T0 + lease) == 1
    assert service.notice_round(T0 + lease) == 0
    assert len(fake.posts) == 1


def test_webhook_to_a_private_address_needs_the_unsafe_flag(
    amparo: Amparo,
    fake: FakePlatform,
    add_platform: Callable[..., acc.Platform],
    sight: Callable[..., acc.Sighting],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_platform(target=fake.url("/dsa"))
    sighting = sight(fake.serve("/p/1.jpg", Route(body=jpeg(1))))
    monkeypatch.setattr(amparo, "fetcher", dataclasses.replace(amparo.fetcher, allow_private=False))
    assert amparo.accountability.notice_round(T0) == 1
    assert fake.posts == []
    with amparo.session() as s:
        step = acc.sighting_timeline(s, sighting.id)[-1]
    assert step.event == "notice_failed" and "unsafe URL" in str(step.detail["answer"])
