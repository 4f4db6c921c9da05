"""The exchange APIs Amparo fetches from, their settings and credentials.

Each API is an :class:`ExchangeApiSpec`: the ``threatexchange`` SignalExchangeAPI class, the
configuration keys it takes (checked and normalised before they are stored), the fields of its
credentials, and the converter that turns one of its records into an
:class:`~amparo.exchanges.ExchangeItem`. :data:`EXCHANGE_APIS` lists the built-in
ones; tests and extensions pass their own mapping to the functions of ``_exchanges``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threatexchange.exchanges.clients.ncmec.hash_api import NCMECEnvironment
from threatexchange.exchanges.collab_config import (
    CollaborationConfigBase,
    CollaborationConfigWithDefaults,
)
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeCollabConfig,
    FBThreatExchangeCredentials,
    FBThreatExchangeSignalExchangeAPI,
)
from threatexchange.exchanges.impl.file_api import FileCollaborationConfig
from threatexchange.exchanges.impl.ncmec_api import (
    NCMECCollabConfig,
    NCMECCredentials,
    NCMECSignalExchangeAPI,
)
from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import (
    StopNCIICredentials,
    StopNCIISignalExchangeAPI,
)
from threatexchange.exchanges.impl.techagainstterrorism_api import (
    TATCredentials,
    TATSignalExchangeAPI,
)
from threatexchange.exchanges.signal_exchange_api import AnySignalExchangeAPI

from amparo.banks import check_tags
from amparo.errors import InputError
from amparo.exchanges._convert import (
    ExchangeItem,
    convert_ncmec,
    convert_simple,
    convert_threatexchange,
)
from amparo.exchanges._file import StreamingFileExchangeAPI
from amparo.signals import SIGNAL_TYPES

__all__ = ["EXCHANGE_APIS", "ExchangeApiSpec", "check_common", "resolve_api"]

ConfigCheck = Callable[[Mapping[str, Any]], dict[str, Any]]
CollabMaker = Callable[[str, Mapping[str, Any]], CollaborationConfigBase]
Converter = Callable[[Any, Any, Mapping[str, Any]], ExchangeItem]


def check_common(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The keys every exchange takes: ``tags`` added to all its entries."""
    tags = raw.get("tags")
    return {"tags": list(check_tags(tags))} if tags else {}


def _no_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def _plain_collab(name: str, config: Mapping[str, Any]) -> CollaborationConfigBase:
    return CollaborationConfigWithDefaults(name=name)


@dataclass(frozen=True)
class ExchangeApiSpec:
    """One kind of exchange. ``config_help`` names the keys ``check_config`` accepts."""

    name: str
    description: str
    api_cls: type[AnySignalExchangeAPI]
    convert: Converter
    config_help: Mapping[str, str] = field(default_factory=dict)
    check_config: ConfigCheck = _no_config
    make_collab: CollabMaker = _plain_collab
    credential_cls: type[Any] | None = None
    credential_fields: tuple[str, ...] = ()
    credential_format: str = ""
    credential_separator: str = ","

    def checked_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """``raw`` validated and normalised; unknown keys are refused."""
        unknown = set(raw) - set(self.config_help) - {"tags"}
        if unknown:
            allowed = ", ".join(sorted({*self.config_help, "tags"}))
            raise InputError(
                f"unknown setting(s) for a {self.name} exchange: {', '.join(sorted(unknown))}",
                hint=f"allowed: {allowed}",
            )
        return {**self.check_config(raw), **check_common(raw)}

    def parse_credentials(self, raw: str | Mapping[str, str]) -> dict[str, str]:
        """Credential fields from a mapping or from the one-line form in ``credential_format``."""
        if not self.credential_fields:
            raise InputError(f"a {self.name} exchange takes no credentials")
        if isinstance(raw, str):
            n = len(self.credential_fields)
            parts = raw.strip().split(self.credential_separator, n - 1) if n > 1 else [raw]
            fields = dict(zip(self.credential_fields, parts, strict=False))
        else:
            fields = {str(k): str(v) for k, v in raw.items()}
        missing = [f for f in self.credential_fields if not fields.get(f, "").strip()]
        extra = set(fields) - set(self.credential_fields)
        if missing or extra or len(fields) != len(self.credential_fields):
            raise InputError(
                f"{self.name} credentials need {', '.join(self.credential_fields)}",
                hint=f"give them as {self.credential_format}",
            )
        return {k: v.strip() for k, v in fields.items()}

    def make_api(
        self, name: str, config: Mapping[str, Any], credentials: Mapping[str, str] | None
    ) -> AnySignalExchangeAPI:
        """An authenticated client. Never lets threatexchange look for credentials itself."""
        collab = self.make_collab(name, config)
        if self.credential_cls is None:
            return self.api_cls.for_collab(collab)
        if not credentials:
            raise InputError(
                f"exchange {name!r} has no credentials",
                hint=f"store them with: amparo exchange update {name} --credentials",
            )
        creds = self.credential_cls(**dict(credentials))
        api: AnySignalExchangeAPI = self.api_cls.for_collab(collab, creds)  # type: ignore[call-arg]
        return api


def _ncmec_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    env_raw = str(raw.get("environment") or "").strip()
    names = {e.name.lower(): e.name for e in NCMECEnvironment}
    names.update({e.value.lower(): e.name for e in NCMECEnvironment})
    env = names.get(env_raw.lower())
    if env is None:
        raise InputError(
            f"unknown NCMEC environment {env_raw!r}" if env_raw else "NCMEC needs an environment",
            hint="one of: " + ", ".join(e.name for e in NCMECEnvironment),
        )
    esp = raw.get("only_esp_ids") or []
    if isinstance(esp, str):
        esp = [p for p in esp.replace(" ", "").split(",") if p]
    try:
        esp_ids = sorted({int(x) for x in esp})
    except (TypeError, ValueError) as exc:
        raise InputError("only_esp_ids must be integers", hint="e.g. 123,456") from exc
    return {"environment": env, "only_esp_ids": esp_ids}


def _ncmec_collab(name: str, config: Mapping[str, Any]) -> CollaborationConfigBase:
    return NCMECCollabConfig(
        name=name,
        environment=NCMECEnvironment[config["environment"]],
        only_esp_ids=set(config.get("only_esp_ids") or ()),
    )


def _te_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    try:
        group = int(str(raw.get("privacy_group")))
    except ValueError as exc:
        raise InputError(
            "ThreatExchange needs a privacy_group (a number)", hint="e.g. privacy_group=1234"
        ) from exc
    return {"privacy_group": group}


def _te_collab(name: str, config: Mapping[str, Any]) -> CollaborationConfigBase:
    return FBThreatExchangeCollabConfig(name=name, privacy_group=int(config["privacy_group"]))


def _file_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    path = Path(str(raw.get("path") or ""))
    if not path.is_absolute() or not path.is_file():
        raise InputError(
            f"{str(path)!r} is not an absolute path to a file",
            hint="give path=/absolute/path/to/hashes.txt (one 'TYPE VALUE' per line)",
        )
    out: dict[str, Any] = {"path": str(path)}
    signal_type = raw.get("signal_type")
    if signal_type:
        if signal_type not in SIGNAL_TYPES:
            raise InputError(
                f"unknown signal type {signal_type!r}", hint=f"one of {', '.join(SIGNAL_TYPES)}"
            )
        out["signal_type"] = signal_type
    return out


def _file_collab(name: str, config: Mapping[str, Any]) -> CollaborationConfigBase:
    return FileCollaborationConfig(
        name=name, filename=config["path"], signal_type=config.get("signal_type")
    )


def _cred_fields(cls: type[Any], *names: str) -> tuple[str, ...]:
    declared = {f.name for f in dataclasses.fields(cls)}
    assert set(names) <= declared, f"{cls.__name__} lacks {set(names) - declared}"
    return names


EXCHANGE_APIS: Mapping[str, ExchangeApiSpec] = {
    spec.name: spec
    for spec in (
        ExchangeApiSpec(
            name="ncmec",
            description="NCMEC hash sharing (industry, NGO, generative-AI environments)",
            api_cls=NCMECSignalExchangeAPI,
            convert=convert_ncmec,
            config_help={
                "environment": "NCMEC environment, e.g. Industry or NGO_Generative_AI",
                "only_esp_ids": "only entries from these ESP ids (comma-separated)",
            },
            check_config=_ncmec_config,
            make_collab=_ncmec_collab,
            credential_cls=NCMECCredentials,
            credential_fields=_cred_fields(NCMECCredentials, "user", "password"),
            credential_format="USER:PASSWORD",
            credential_separator=":",
        ),
        ExchangeApiSpec(
            name="stop_ncii",
            description="StopNCII.org hashes of non-consensual intimate imagery",
            api_cls=StopNCIISignalExchangeAPI,
            convert=convert_simple,
            make_collab=lambda name, _: CollaborationConfigBase(name, "stop_ncii", True),
            credential_cls=StopNCIICredentials,
            credential_fields=_cred_fields(
                StopNCIICredentials, "fetch_function_key", "subscription_key"
            ),
            credential_format="FETCH_FUNCTION_KEY,SUBSCRIPTION_KEY",
        ),
        ExchangeApiSpec(
            name="fb_threatexchange",
            description="Meta ThreatExchange privacy group",
            api_cls=FBThreatExchangeSignalExchangeAPI,
            convert=convert_threatexchange,
            config_help={"privacy_group": "ThreatPrivacyGroup id"},
            check_config=_te_config,
            make_collab=_te_collab,
            credential_cls=FBThreatExchangeCredentials,
            credential_fields=_cred_fields(FBThreatExchangeCredentials, "api_token"),
            credential_format="APP_ID|TOKEN",
        ),
        ExchangeApiSpec(
            name="tat",
            description="Tech Against Terrorism hash list",
            api_cls=TATSignalExchangeAPI,
            convert=convert_simple,
            credential_cls=TATCredentials,
            credential_fields=_cred_fields(TATCredentials, "username", "password"),
            credential_format="USERNAME:PASSWORD",
            credential_separator=":",
        ),
        ExchangeApiSpec(
            name="local_file",
            description="a local file with one 'TYPE VALUE' per line",
            api_cls=StreamingFileExchangeAPI,
            convert=convert_simple,
            config_help={
                "path": "absolute path of the file",
                "signal_type": "type of every line when lines hold only a value",
            },
            check_config=_file_config,
            make_collab=_file_collab,
        ),
        ExchangeApiSpec(
            name="sample",
            description="threatexchange's built-in sample hashes (for trying things out)",
            api_cls=StaticSampleSignalExchangeAPI,
            convert=convert_simple,
        ),
    )
}

_ALIASES = {
    "stopncii": "stop_ncii",
    "threatexchange": "fb_threatexchange",
    "techagainstterrorism": "tat",
    "file": "local_file",
}


def resolve_api(name: str, apis: Mapping[str, ExchangeApiSpec]) -> ExchangeApiSpec:
    """The spec for ``name`` (or a common alias of it)."""
    key = name.strip().lower().replace("-", "_")
    spec = apis.get(key) or apis.get(_ALIASES.get(key, ""))
    if spec is None:
        raise InputError(
            f"unknown exchange API {name!r}", hint=f"one of: {', '.join(sorted(apis))}"
        )
    return spec
