"""Log output of the command line and of the servers it starts: text or JSON lines on stderr.

``AMPARO_LOG_FORMAT=json`` gives one JSON object per line (``time``, ``level``, ``logger``,
``message``, and ``request_id`` for lines written while an HTTP request is served; the API's
middleware puts it on the record), for log collectors. Text is for people.

Commands log only warnings (e.g. a note about the settings) and progress lines; ``amparo
serve`` and ``amparo witness serve`` also log each request at INFO. Handlers write to the
*current* ``sys.stderr``, so test runners that swap it see what is logged.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

__all__ = ["JsonFormatter", "TextFormatter", "setup_logging", "uvicorn_log_config"]

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has (and uvicorn's ANSI-coloured copy of its message); anything
# else on a record was put there on purpose.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the extra
    attributes set on the record (such as ``request_id``) and the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in body:
                body[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-11-30 12:00:00 WARNING amparo.config [request id]: message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{rid}]" if rid else ""
        return super().format(record)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record comes, not when it was made."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """Ignored: the stream is always the current stderr."""


def _formatter(fmt: LogFormat) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def setup_logging(fmt: LogFormat, *, server: bool = False) -> None:
    """Send log records to stderr in ``fmt``; idempotent (a second call replaces the first).

    Commands show warnings and progress lines; a ``server`` also shows Amparo's INFO lines
    (one per request).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(_formatter(fmt))
    root.addHandler(handler)
    logging.getLogger("amparo.progress").setLevel(logging.INFO)
    if server:
        logging.getLogger("amparo").setLevel(logging.INFO)


def uvicorn_log_config(fmt: LogFormat, level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration in ``fmt``, Amparo's and uvicorn's lines from
    ``level`` up (debug, info, warning, error, critical). Its access log is off: Amparo's
    middleware logs each request itself (INFO), with its request id."""
    formatter = "JsonFormatter" if fmt == "json" else "TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{__name__}.{formatter}"}},
        "handlers": {"default": {"class": f"{__name__}._StderrHandler", "formatter": "default"}},
        # Amparo's own loggers too: with --workers, this is all the logging set up in each
        # worker process (one line per request, with its request id).
        "loggers": {
            name: {"handlers": ["default"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "amparo")
        },
    }
