"""The webhook settings: what a server refuses at start, and what the deliverer is given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amparo.actions import TargetPolicy, parse_networks
from amparo.config import Settings
from amparo.errors import ConfigError, InputError, UnsafeURLError
from amparo.runtime import Runtime


def test_bad_networks_and_backoff_are_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("'10.0.0.0/33' is not a network")):
        Runtime.open(Settings(data_dir=tmp_path, webhook_allowed_networks=["10.0.0.0/33"]))
    with pytest.raises(ConfigError, match="BACKOFF_MAX_SECONDS is below"):
        Runtime.open(
            Settings(data_dir=tmp_path, webhook_backoff_seconds=60, webhook_backoff_max_seconds=1)
        )


def test_plain_http_is_refused_in_prod(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="prod", secret_key="x", unsafe_webhook_http=True)
    with pytest.raises(ConfigError, match="unsafe_webhook_http is on in prod"):
        settings.check()


def test_settings_reach_the_deliverer(tmp_path: Path) -> None:
    runtime = Runtime.open(
        Settings(
            data_dir=tmp_path,
            webhook_timeout=3,
            webhook_max_attempts=5,
            webhook_concurrency=2,
            webhook_allowed_networks=["10.20.0.0/16"],
        )
    )
    options = runtime.deliverer.options
    runtime.close()
    assert (options.timeout, options.max_attempts, options.concurrency) == (3, 5, 2)
    assert options.backoff.base == 10 and options.backoff.max_seconds == 3600
    assert options.policy == TargetPolicy(False, parse_networks(["10.20.0.0/16"]))


def test_target_policy() -> None:
    policy = TargetPolicy(allow_http=False, networks=parse_networks(["10.20.0.0/16"]))
    assert policy.check_url("https://10.20.1.2:8443/hook") == "https://10.20.1.2:8443/hook"
    assert policy.check_url("https://hooks.example.org/a?b=c")
    for url, message in [
        ("http://hooks.example.org/", "plain http"),
        ("https://10.21.0.1/", "private or loopback"),
        ("https://127.0.0.1/", "private or loopback"),
        ("https://[::ffff:127.0.0.1]/", "private or loopback"),
        ("https://hooks.example.org/#frag", "not a webhook URL"),
        ("https://user@/x", "not a webhook URL"),
        ("https://h\u00e9.example/", "valid host"),
        ("https://a.example/" + "x" * 3000, "too long"),
        ("https://a.example/\x00", "control characters"),
    ]:
        with pytest.raises(InputError, match=message):
            policy.check_url(url)
    assert policy.addresses("https://10.20.3.4/") == ["10.20.3.4"]
    with pytest.raises(UnsafeURLError, match="allowed addresses"):
        policy.addresses("https://127.0.0.1/")
