"""Background workers: a final round runs at stop, even when stopped before the first."""

from __future__ import annotations

from amparo.runtime._workers import PeriodicWorker


def test_a_final_round_runs_even_when_stopped_during_the_first_delay() -> None:
    rounds: list[int] = []
    worker = PeriodicWorker(
        "t", 3600.0, lambda: rounds.append(1), first_delay=60.0, final_round=True
    )
    worker.start()
    worker.stop()
    assert rounds == [1]  # a server stopped within a minute still saves its snapshot


def test_without_a_final_round_a_worker_stopped_early_runs_none() -> None:
    rounds: list[int] = []
    worker = PeriodicWorker("t", 3600.0, lambda: rounds.append(1), first_delay=60.0)
    worker.start()
    worker.stop()
    assert rounds == []


def test_a_worker_runs_rounds_then_its_final_round() -> None:
    rounds: list[int] = []
    worker = PeriodicWorker("t", 3600.0, lambda: rounds.append(1), final_round=True)
    worker.start()
    assert worker.run_now()
    worker.stop()
    assert len(rounds) >= 2
