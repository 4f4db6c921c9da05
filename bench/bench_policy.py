"""Policy evaluation per scan, against the scan it decides, measured in one run.

A 50-rule policy (bank, category, tag, distance, verdict, evidence, classifier and content
conditions, in the mix a platform's policy might have) is evaluated for a scan that matched
one entry, carries AI-provenance evidence and content metadata, and falls through to the
last rules: about the worst case, since evaluation stops at the first rule that holds. The
time counts building the scan's facts (what every scan does) and evaluating.

The peer is an in-process scan of a 1 MP JPEG (``scan_media``: decode, PDQ + MD5 + SHA-256,
lookups, provenance, the policy, and the record's commit to SQLite), on the same machine
in the same run. Targets: evaluation under 50 µs median, and under 5% of the scan.

Run:  .venv/bin/python bench/bench_policy.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from amparo.config import Settings
from amparo.matching import Match
from amparo.media import synthetic
from amparo.policy import ContentMeta, ScanFacts, evaluate, parse_policy
from amparo.provenance import Evidence, ProvenanceReport
from amparo.runtime import Runtime
from amparo.usecases import scan_media

RULES = 50


def policy_of(n: int) -> str:
    """``n - 1`` varied rules that the benchmark's scan mostly misses, then a default."""
    shapes = [
        'bank = ["NCMEC", "IWF"]\ncategory = ["A1", "A2"]\ndistance_max = {d}',
        'surface = ["chat-{i}", "dm-{i}"]\ncountry = ["DE", "FR"]',
        'verdict = "declared_ai"\nsurface = "upload-{i}"',
        "classifier_score_min = 0.{d}9\nmatched = false",
        'tags = ["t{i}", "x{i}"]\nsignal_type = "pdq"',
        'evidence = ["c2pa", "watermark"]\nuploader_id = ["u{i}"]',
        'bank = "bank-{i}"',
        'content_id = ["c{i}", "d{i}"]',
    ]
    out = []
    for i in range(n - 1):
        when = shapes[i % len(shapes)].format(i=i, d=i % 9)
        out.append(
            f'[[rules]]\nname = "rule-{i}"\n[rules.when]\n{when}\n'
            f'[rules.then]\nreview = {{ queue = "q{i % 4}" }}\nwebhook = {{ endpoint = "e{i}" }}\n'
        )
    out.append('[[rules]]\nname = "default"\n[rules.then]\nallow = true\n')
    return "\n".join(out)


def median_us(fn: object, rounds: int) -> float:
    assert callable(fn)
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    policy = parse_policy(policy_of(RULES))
    assert len(policy.rules) == RULES
    matches = [Match("PARTNER", 17, 17, "pdq", 12, "B2", ("shared",), "local", None, True)]
    report = ProvenanceReport(
        "likely_ai",
        (
            Evidence("generator_metadata", "PNG tEXt", "d", "likely_ai", generator="x"),
            Evidence("classifier", "vendor", "d", "likely_ai", score=0.93),
        ),
    )
    content = ContentMeta("content-1", "uploader-1", "profile_photo", "BR")
    decision = evaluate(policy, ScanFacts.of(matches, report, content))
    fired = next(n for n, r in enumerate(policy.rules, 1) if r.name == decision.rule)

    def decide() -> None:
        evaluate(policy, ScanFacts.of(matches, report, content))

    rounds = 20_000 if args.quick else 200_000
    median_us(decide, 2000)  # warm up
    eval_us = median_us(decide, rounds)

    image = synthetic.encode(synthetic.make("photo_like", 1155, 866, seed=1), "JPEG", quality=90)
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime.open(Settings(data_dir=Path(tmp)))
        try:
            runtime.matcher  # loaded before timing  # noqa: B018
            for _ in range(3):
                scan_media(runtime, image)
            scans = 20 if args.quick else 100
            scan_us = median_us(lambda: scan_media(runtime, image), scans)
        finally:
            runtime.close()

    print(f"policy: {RULES} rules; the scan's decision is rule {fired} ({decision.rule!r})")
    print(f"evaluation (facts + evaluate), median of {rounds:,}: {eval_us:8.1f} µs  (target < 50)")
    print(f"in-process scan of a 1 MP JPEG, median of {scans}:  {scan_us / 1000:8.2f} ms")
    share = eval_us / scan_us
    print(f"evaluation / scan: {share:.4f} = {share:.2%} of a scan  (target < 5%)")


if __name__ == "__main__":
    main()
