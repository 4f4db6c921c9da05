"""The routes of Meta's Hasher-Matcher-Actioner (HMA) API, served by Amparo.

An HMA client switches to Amparo by changing its base URL and adding an API key header
(``Authorization: Bearer KEY`` or ``X-API-Key: KEY``). ``/h`` and ``/m`` need role
``scanner``; ``/c`` needs ``curator`` to change and any role to read. The behaviour follows
``standards/hma-api.md``; the README lists where Amparo differs on purpose. ``/status`` and
``/status/live`` live with the operations routes.
"""

from amparo.api.hma._router import lookup_router, router

__all__ = ["lookup_router", "router"]
