"""Feedback to the exchange a false positive's bank entry came from.

``threatexchange``'s :meth:`SignalExchangeAPI.report_opinion` is optional: an exchange API
that does not override it cannot take feedback. None of the APIs bundled with the
installed ``threatexchange`` (NCMEC, StopNCII, ThreatExchange, TAT, files, samples) does,
so the outcome says so, naming the API, and the reviewer reports the false positive to the
exchange by its own channel.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPI

from amparo.errors import NotFoundError
from amparo.exchanges import EXCHANGE_APIS, get_exchange

__all__ = ["exchange_feedback"]


def exchange_feedback(session: Session, source: str) -> str:
    """A sentence on the feedback for an entry from ``source`` (an exchange's name, or a
    local source), for the decision's outcome and the ledger."""
    try:
        exchange = get_exchange(session, source)
    except NotFoundError:
        return f"not sent: the entry came from {source!r}, not from an exchange"
    spec = EXCHANGE_APIS.get(exchange.api)
    if spec is None or spec.api_cls.report_opinion is SignalExchangeAPI.report_opinion:
        return (
            f"not sent: threatexchange's {exchange.api} API does not accept feedback "
            f"(report_opinion); report the false positive to {exchange.name} directly"
        )
    return (
        f"not sent: threatexchange's {exchange.api} API accepts feedback, but Amparo does not "
        f"send it yet; report the false positive to {exchange.name} directly"
    )
