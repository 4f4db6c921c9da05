"""Prometheus metrics, one registry per app (so tests and several apps don't share state)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from amparo.matching import Match
from amparo.runtime import Runtime

__all__ = ["Metrics"]


class _IndexCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterable[Metric]:
        size = GaugeMetricFamily("amparo_index_size", "Hashes in the index", labels=["signal_type"])
        built = GaugeMetricFamily(
            "amparo_index_built_to", "Last change applied to the index", labels=["signal_type"]
        )
        for status in self._runtime.index_status():
            size.add_metric([status.signal_type], status.size)
            built.add_metric([status.signal_type], status.built_to)
        return [size, built]


class Metrics:
    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry()
        self.scans = Counter("amparo_scans", "Scans and lookups", ["kind"], registry=self.registry)
        self.matches = Counter(
            "amparo_matches", "Matches found", ["bank", "signal_type"], registry=self.registry
        )
        self.latency = Histogram(
            "amparo_request_seconds",
            "Time to answer scan, hash and match requests",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.registry.register(_IndexCollector(runtime))

    def count(self, kind: str, matches: Sequence[Match], *, lookups: int = 1) -> None:
        """Count ``lookups`` scans of ``kind`` and their ``matches`` (one call per request:
        a counter's lock costs more than a lookup)."""
        self.scans.labels(kind).inc(lookups)
        for (bank, signal_type), n in Tally((m.bank, m.signal_type) for m in matches).items():
            self.matches.labels(bank, signal_type).inc(n)
