"""Delivery: signed per Standard Webhooks, retried with backoff, dead-lettered, retried by a
person, committed only with its cause, and shared by two runtimes without a double send."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from _actions_helpers import (
    Receiver,
    WallClock,
    add_endpoint,
    ledger,
    queue,
    signed_by,
)
from sqlalchemy import select
from standardwebhooks import Webhook

from amparo import actions, banks
from amparo.errors import ConflictError, InputError, NotFoundError
from amparo.runtime import Amparo
from amparo.store import OutboxRow

Deliver = Callable[..., actions.Deliverer]


def _statuses(amparo: Amparo) -> dict[str, str]:
    with amparo.session() as s:
        return {row.id: row.status for row in s.scalars(select(OutboxRow))}


def test_delivery_is_signed_and_verifies(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver
) -> None:
    secret = add_endpoint(amparo, "hook", receiver.url)
    with amparo.session() as s:
        action_id = actions.enqueue(
            s,
            event_type="scan.decision",
            payload={"scan_id": "s1", "action": "block"},
            endpoint="hook",
        )
    d = deliverer()
    assert d.round() == 1
    [got] = receiver.received
    assert got.headers["webhook-id"] == action_id
    assert got.headers["content-type"] == "application/json"
    data = Webhook(secret).verify(got.body, got.headers)
    assert data["type"] == "scan.decision"
    assert data["data"] == {"scan_id": "s1", "action": "block"}
    with pytest.raises(Exception, match="signature"):
        Webhook(actions.new_secret()).verify(got.body, got.headers)
    [(_, delivered)] = ledger(amparo, "action.deliver")
    assert delivered["action_id"] == action_id
    assert delivered["attempts"] == 1 and delivered["status_code"] == 204
    import hashlib

    assert delivered["body_sha256"] == hashlib.sha256(got.body).hexdigest()
    assert _statuses(amparo) == {action_id: "delivered"}
    assert d.round() == 0  # nothing twice


def test_nothing_is_queued_when_the_cause_rolls_back(amparo: Amparo, receiver: Receiver) -> None:
    add_endpoint(amparo, "hook", receiver.url)
    with pytest.raises(RuntimeError), amparo.session() as s:
        banks.create_bank(s, "CAUSE")
        actions.enqueue(s, event_type="scan.decision", payload={}, endpoint="hook")
        raise RuntimeError("the scan failed")
    assert _statuses(amparo) == {}
    assert ledger(amparo, "action.") == []


@pytest.mark.parametrize("mode", ["fail", "slow"])
def test_failing_receiver_backs_off_then_dead_letters_then_retry_delivers(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver, mode: str
) -> None:
    receiver.mode = mode
    secret = add_endpoint(amparo, "hook", receiver.url)
    [action_id] = queue(amparo)
    d = deliverer()
    waits = []
    for attempt in range(1, 5):
        receiver.release.clear()
        assert d.round() == 1
        receiver.release.set()
        with amparo.session() as s:
            row = s.get(OutboxRow, action_id)
            assert row is not None and row.attempts == attempt
            assert row.last_error == ("HTTP 500" if mode == "fail" else "no answer within 5 s")
            if attempt < 4:
                assert row.status == "pending"
                wait = (row.next_attempt_at - wall()).total_seconds()
                assert 0 <= wait <= min(60, 10 * 2 ** (attempt - 1))
                waits.append(wait)
        assert d.round() == 0  # not due before its time
        wall.advance(61)
    assert _statuses(amparo) == {action_id: "dead"}
    [(_, dead)] = ledger(amparo, "action.dead")
    assert dead["attempts"] == 4 and dead["action_id"] == action_id
    assert d.round() == 0

    receiver.mode = "ok"
    with amparo.session() as s:
        assert actions.retry_actions(s, [action_id], by="test") == [action_id]
    assert d.round() == 1
    assert _statuses(amparo) == {action_id: "delivered"}
    last = receiver.received[-1]
    assert signed_by(secret, last)
    ids = {r.headers["webhook-id"] for r in receiver.received}
    bodies = {r.body for r in receiver.received}
    assert ids == {action_id} and len(bodies) == 1  # the same message on every try
    kinds = [k for k, _ in ledger(amparo, "action.")]
    assert kinds == ["action.queue", "action.dead", "action.retry", "action.deliver"]


def test_retry_refuses_what_is_not_dead(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver
) -> None:
    add_endpoint(amparo, "hook", receiver.url)
    [action_id] = queue(amparo)
    with pytest.raises(ConflictError, match="only dead"), amparo.session() as s:
        actions.retry_actions(s, [action_id], by="test")
    with pytest.raises(NotFoundError), amparo.session() as s:
        actions.retry_actions(s, ["msg_" + "0" * 32], by="test")
    with pytest.raises(InputError, match="not an action id"), amparo.session() as s:
        actions.retry_actions(s, ["x\x00"], by="test")
    with pytest.raises(InputError, match="name the actions"), amparo.session() as s:
        actions.retry_actions(s, by="test")
    with amparo.session() as s:
        assert actions.retry_actions(s, all_dead=True, by="test") == []


def test_enqueue_bad_input(amparo: Amparo, receiver: Receiver) -> None:
    add_endpoint(amparo, "hook", receiver.url)
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"endpoint": "nope"}, NotFoundError, "no webhook endpoint named 'nope'"),
        ({"endpoint": "ho\x00ok"}, InputError, "NUL"),
        ({"event_type": "Scan Decision"}, InputError, "invalid action event type"),
        ({"event_type": "a\x00b"}, InputError, "invalid action event type"),
        ({"payload": {"x": float("nan")}}, InputError, "not JSON"),
        ({"payload": {"x": object()}}, InputError, "not JSON"),
        ({"payload": {"x": "a\x00b"}}, InputError, "NUL"),
        ({"payload": ["a list"]}, InputError, "not a mapping"),
        ({"payload": {"x": "y" * (actions.MAX_PAYLOAD_BYTES + 1)}}, InputError, "limit"),
    ]
    for change, error, message in cases:
        args: dict[str, object] = {"event_type": "scan.decision", "payload": {}, "endpoint": "hook"}
        args.update(change)
        with pytest.raises(error, match=message), amparo.session() as s:
            actions.enqueue(s, **args)  # type: ignore[arg-type]
    assert _statuses(amparo) == {}


def test_disabled_endpoint_waits_and_removed_endpoint_dead_letters(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver
) -> None:
    add_endpoint(amparo, "hook", receiver.url)
    [first, second] = queue(amparo, 2)
    with amparo.session() as s:
        actions.set_endpoint_enabled(s, "hook", False, by="test")
    d = deliverer()
    assert d.round() == 0
    with amparo.session() as s:
        assert actions.remove_endpoint(s, "hook", by="test") == 2
    assert _statuses(amparo) == {first: "dead", second: "dead"}
    with pytest.raises(ConflictError, match="removed"), amparo.session() as s:
        actions.retry_actions(s, [first], by="test")
    kinds = [k for k, _ in ledger(amparo)]
    assert kinds.count("action.dead") == 2 and "webhook.endpoint.delete" in kinds
    assert "webhook.endpoint.update" in kinds
    assert receiver.received == []
    add_endpoint(amparo, "hook", receiver.url)  # added again: its dead actions can go out
    with amparo.session() as s:
        assert actions.retry_actions(s, all_dead=True, by="test") == [second, first]
    assert d.round() == 2
    assert sorted(receiver.acknowledged()) == sorted([first, second])


def test_unsafe_address_fails_the_try(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver
) -> None:
    add_endpoint(amparo, "hook", receiver.url)
    [action_id] = queue(amparo)
    strict = deliverer(policy=actions.TargetPolicy(allow_http=True))
    assert strict.round() == 1
    with amparo.session() as s:
        row = s.get(OutboxRow, action_id)
        assert row is not None and row.status == "pending"
        assert "does not resolve to allowed addresses" in (row.last_error or "")
    assert receiver.received == []


def test_two_runtimes_deliver_each_action_exactly_once(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver
) -> None:
    add_endpoint(amparo, "hook", receiver.url)
    n = 60
    queued = set(queue(amparo, n))
    other = Amparo.open(amparo.settings)
    deliverers = [deliverer(), deliverer(other)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(d: actions.Deliverer) -> None:
        try:
            start.wait()
            while d.round():
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in deliverers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    other.close()
    assert not errors, errors
    acknowledged = receiver.acknowledged()
    assert sorted(acknowledged) == sorted(queued), "an action was sent twice or not at all"
    assert set(_statuses(amparo).values()) == {"delivered"}
    assert len(ledger(amparo, "action.deliver")) == n


def test_backoff_waits_are_drawn_from_the_schedule(
    amparo: Amparo, receiver: Receiver, wall: WallClock, deliverer: Deliver
) -> None:
    receiver.mode = "fail"
    add_endpoint(amparo, "hook", receiver.url)
    queue(amparo, 3)
    d = deliverer(backoff=actions.Backoff(1.0, 1.0))
    assert d.round() == 3
    with amparo.session() as s:
        for row in s.scalars(select(OutboxRow)):
            assert timedelta(0) <= row.next_attempt_at - wall() <= timedelta(seconds=1)
    assert json.loads(receiver.received[0].body)["type"] == "scan.decision"


def test_a_started_runtime_delivers_what_a_commit_queued(
    client: object, amparo: Amparo, receiver: Receiver
) -> None:
    """The runtime's own worker: woken by the commit, it delivers (no clock of the test's)."""
    secret = add_endpoint(amparo, "hook", receiver.url)
    [action_id] = queue(amparo)
    assert amparo.worker("webhooks").run_now()
    assert _statuses(amparo) == {action_id: "delivered"}
    [got] = receiver.received
    assert Webhook(secret).verify(got.body, got.headers)["data"] == {"n": 0}


def test_a_resolver_that_hangs_costs_a_try_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # AMPARO_WEBHOOK_TIMEOUT covers resolving: a resolver that never answers fails the try at
    # the deadline (0.2 s here), not after the resolver's own timeouts and retries.
    answer = threading.Event()

    def hanging(host: str, *args: object, **kwargs: object) -> object:
        answer.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    sender = actions.WebhookSender(actions.TargetPolicy(allow_http=True), 0.2)
    try:
        attempt = sender.send("http://hooks.example/in", {}, b"{}")
    finally:
        answer.set()
        sender.close()
    assert not attempt.ok and attempt.error == "no answer within 0.2 s"
