"""Exchanges: hash lists fetched from NCMEC, StopNCII, ThreatExchange, Tech Against Terrorism
and local files into banks, through the ``threatexchange`` library's clients.

An exchange has a name, an API (:data:`EXCHANGE_APIS`), the bank it fills, settings and
credentials (stored encrypted with :class:`CredentialBox`). :func:`start_fetch` claims one
and :meth:`FetchRun.run` streams its deltas into the bank through
:func:`amparo.banks.apply_batch`, one committed batch (and ``exchange.fetch`` event) at a
time.
"""

from amparo.exchanges._apis import EXCHANGE_APIS, ExchangeApiSpec, resolve_api
from amparo.exchanges._config import (
    Exchange,
    check_exchange_name,
    create_exchange,
    delete_exchange,
    get_exchange,
    list_exchanges,
    update_exchange,
)
from amparo.exchanges._convert import ExchangeItem, clean_tags
from amparo.exchanges._events import (
    ExchangeCreated,
    ExchangeDeleted,
    ExchangeFetched,
    ExchangeUpdated,
)
from amparo.exchanges._fetch import (
    FetchProgress,
    FetchResult,
    FetchRun,
    fetch_exchange,
    start_fetch,
)
from amparo.exchanges._secrets import SECRET_KEY_FILE, CredentialBox, dev_key

__all__ = [
    "EXCHANGE_APIS",
    "SECRET_KEY_FILE",
    "CredentialBox",
    "Exchange",
    "ExchangeApiSpec",
    "ExchangeCreated",
    "ExchangeDeleted",
    "ExchangeFetched",
    "ExchangeItem",
    "ExchangeUpdated",
    "FetchProgress",
    "FetchResult",
    "FetchRun",
    "check_exchange_name",
    "clean_tags",
    "create_exchange",
    "delete_exchange",
    "dev_key",
    "fetch_exchange",
    "get_exchange",
    "list_exchanges",
    "resolve_api",
    "start_fetch",
    "update_exchange",
]
