"""Banks: named hash lists of known material, their entries, bulk import and exchanges.

A bank holds entries; an entry holds one or more signals (a PDQ, an MD5, a SHA-256, ...) of
one piece of media, plus where it came from (source and its own id), a category (NCMEC
A1/A2/B1/B2, IWF A/B/C, or none), tags (e.g. ``generative_ai``), a note and an enabled state.
"""

from amparo.banks._exchange_apis import EXCHANGE_APIS, resolve_api
from amparo.banks._exchange_fetch import (
    FetchProgress,
    FetchResult,
    FetchRun,
    fetch_exchange,
    start_fetch,
)
from amparo.banks._exchange_secrets import CredentialBox
from amparo.banks._exchanges import (
    Exchange,
    create_exchange,
    delete_exchange,
    get_exchange,
    list_exchanges,
    update_exchange,
)
from amparo.banks._import import ImportResult, import_entries, parse_csv, parse_jsonl, read_entries
from amparo.banks._lookup import (
    change_time,
    entries_for_signals,
    find_exact,
    iter_signals,
    signal_count,
)
from amparo.banks._model import (
    CATEGORIES,
    DEFAULT_PDQ_THRESHOLD,
    Bank,
    Entry,
    NewEntry,
    check_bank_name,
    check_category,
    check_note,
    check_tags,
    is_enabled,
)
from amparo.banks._repo import (
    add_entries,
    add_entry,
    bank_sizes,
    check_disable_until,
    create_bank,
    delete_bank,
    delete_entry,
    delete_source_entries,
    get_bank,
    get_entry,
    list_banks,
    list_entries,
    update_bank,
    update_entry,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_PDQ_THRESHOLD",
    "EXCHANGE_APIS",
    "Bank",
    "CredentialBox",
    "Entry",
    "Exchange",
    "FetchProgress",
    "FetchResult",
    "FetchRun",
    "ImportResult",
    "NewEntry",
    "add_entries",
    "add_entry",
    "bank_sizes",
    "change_time",
    "check_bank_name",
    "check_category",
    "check_disable_until",
    "check_note",
    "check_tags",
    "create_bank",
    "create_exchange",
    "delete_bank",
    "delete_entry",
    "delete_exchange",
    "delete_source_entries",
    "entries_for_signals",
    "fetch_exchange",
    "find_exact",
    "get_bank",
    "get_entry",
    "get_exchange",
    "import_entries",
    "is_enabled",
    "iter_signals",
    "list_banks",
    "list_entries",
    "list_exchanges",
    "parse_csv",
    "parse_jsonl",
    "read_entries",
    "resolve_api",
    "signal_count",
    "start_fetch",
    "update_bank",
    "update_entry",
    "update_exchange",
]
