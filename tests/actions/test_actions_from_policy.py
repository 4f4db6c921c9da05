"""A policy's webhook action, end to end: queued in the scan's transaction, delivered signed
by the deliverer, with the decision and never media; a policy naming an endpoint that does
not exist is refused at activation, naming the rule's line."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from _actions_helpers import Receiver, add_endpoint, signed_by

from amparo import actions
from amparo.media import synthetic
from amparo.policy import ContentMeta, PolicyError
from amparo.runtime import Amparo
from amparo.usecases import activate_policy, scan_media

CHAT = """name = "chat"

[[rules]]
name = "chat"
[rules.when]
surface = "chat"
[rules.then]
review = { queue = "chat" }
webhook = { endpoint = "moderation" }

[[rules]]
name = "default"
[rules.then]
allow = true
"""


def test_a_webhook_action_is_delivered_with_the_decision(
    amparo: Amparo, receiver: Receiver, deliverer: Callable[..., actions.Deliverer]
) -> None:
    secret = add_endpoint(amparo, "moderation", receiver.url)
    activate_policy(amparo, CHAT, actor="t", source="chat.toml")
    image = synthetic.encode(synthetic.make("shapes", 200, 150, seed=2), "PNG")
    result = scan_media(amparo, image, content=ContentMeta(content_id="m-1", surface="chat"))
    (queued,) = _pending(amparo)
    assert deliverer().round() == 1
    (got,) = receiver.received
    assert signed_by(secret, got) and got.headers["webhook-id"] == queued
    body = json.loads(got.body)
    assert body["type"] == "scan.decision"
    data = body["data"]
    assert data["scan_id"] == result.scan_id and data["decision"]["rule"] == "chat"
    assert data["content"] == {"content_id": "m-1", "surface": "chat"}
    assert image.hex()[:64] not in got.body.decode()  # hashes and facts, never media


def _pending(amparo: Amparo) -> list[str]:
    with amparo.session() as s:
        return [a.id for a in actions.list_actions(s, status="pending")]


def test_activation_refuses_a_webhook_to_an_unknown_endpoint(amparo: Amparo) -> None:
    with pytest.raises(PolicyError, match="line 3: rule 'chat': no webhook endpoint 'moderation'"):
        activate_policy(amparo, CHAT, actor="t", source="chat.toml")
