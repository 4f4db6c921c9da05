"""DSA Transparency Database dump import: rows/s and peak RSS against the dump's size.

Dumps are generated here in the database's layout (``sor-global-<day>-<version>.zip``: a
stored zip of ``.csv.zip`` parts of 100,000-row CSVs) with the real columns; nothing is
downloaded. Each import runs in a fresh process (``amparo.dsa.import_dump`` into a fresh
SQLite database) so its peak RSS is its own. The peer, in the same run and process setup,
is the obvious Python approach: ``zipfile`` + ``csv.DictReader`` counting the same groups;
"of ceiling" compares with unzipping each table and a bare DuckDB ``count(*)`` over it.
Target: >= 200,000 rows/s, peak RSS flat in the dump's size.

Run:  .venv/bin/python bench/bench_dsa_import.py [--rows 200000,500000,1000000] [--version light]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

from amparo.dsa import FULL_COLUMNS, LIGHT_COLUMNS

TARGET = 200_000
PER_CSV = 100_000  # the database's subpart size
PER_PART = 10  # subparts per part zip (StatementCsvExportZ: 1M statements per part)


def _templates(columns: tuple[str, ...], rng: random.Random) -> list[list[str]]:
    cats = [
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "STATEMENT_CATEGORY_VIOLENCE",
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    ]
    kws = [
        '["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]',
        '["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"]',
        '["KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"]',
        "[]",
        '["KEYWORD_OTHER"]',
    ]
    out = []
    for n in range(200):
        day = 1 + n % 20
        values = {
            "uuid": f"{rng.getrandbits(128):032x}",
            "decision_visibility": '["DECISION_VISIBILITY_CONTENT_REMOVED"]',
            "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "incompatible_content_ground": "Community guidelines, section 4",
            "incompatible_content_explanation": "The content violates our policy, see terms.",
            "category": rng.choice(cats),
            "category_addition": "[]",
            "category_specification": rng.choice(kws),
            "content_type": '["CONTENT_TYPE_IMAGE","CONTENT_TYPE_VIDEO"]',
            "content_language": "EN",
            "content_date": f"2025-03-{day:02d} 00:00:00",
            "territorial_scope": '["AT","BE","BG","CY","CZ","DE","DK","EE","ES","FI","FR"]',
            "application_date": f"2025-03-{day + rng.randint(0, 7):02d} 00:00:00",
            "decision_facts": "Automated systems detected the content; a reviewer confirmed.",
            "source_type": rng.choice(["SOURCE_VOLUNTARY", "SOURCE_TRUSTED_FLAGGER"]),
            "automated_detection": rng.choice(["Yes", "No"]),
            "automated_decision": rng.choice(
                [
                    "AUTOMATED_DECISION_FULLY",
                    "AUTOMATED_DECISION_PARTIALLY",
                    "AUTOMATED_DECISION_NOT_AUTOMATED",
                ]
            ),
            "platform_name": f"Platform {n % 12}",
            "platform_uid": f"uid-{rng.getrandbits(64):x}",
            "created_at": "2025-03-28 12:00:00",
        }
        out.append([values.get(c, "") for c in columns])
    return out


def make_dump(folder: Path, rows: int, version: str) -> Path:
    columns = FULL_COLUMNS if version == "full" else LIGHT_COLUMNS
    rng = random.Random(rows)
    rows_t = _templates(columns, rng)
    base = f"sor-global-2025-03-28-{version}"
    path = folder / f"{base}-{rows}.zip"
    subparts = [min(PER_CSV, rows - s) for s in range(0, rows, PER_CSV)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as outer:
        for part, first in enumerate(range(0, len(subparts), PER_PART)):
            inner_path = folder / "part.zip"
            with zipfile.ZipFile(inner_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as inner:
                for sub, count in enumerate(subparts[first : first + PER_PART]):
                    buf = io.StringIO()
                    w = csv.writer(buf, lineterminator="\n")
                    w.writerow(columns)
                    for i in range(count):
                        w.writerow(rows_t[i % len(rows_t)])
                    inner.writestr(f"{base}-{part:05d}-{sub:05d}.csv", buf.getvalue())
            outer.write(inner_path, f"{base}-{part:05d}.csv.zip")
            inner_path.unlink()
    return path


def _child_amparo(dump: str) -> dict[str, float]:
    from amparo import dsa
    from amparo.config import Settings
    from amparo.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime.open(Settings(data_dir=Path(tmp)))
        t0 = time.perf_counter()
        report = dsa.import_dump(runtime, Path(dump))
        seconds = time.perf_counter() - t0
        runtime.close()
    return {"rows": report.rows, "seconds": seconds}


def _child_peer(dump: str) -> dict[str, float]:
    t0 = time.perf_counter()
    groups: Counter[tuple[str, str, str]] = Counter()
    rows = 0
    with zipfile.ZipFile(dump) as outer:
        for name in outer.namelist():
            with zipfile.ZipFile(io.BytesIO(outer.read(name))) as inner:
                for csv_name in inner.namelist():
                    with inner.open(csv_name) as raw:
                        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                        for row in csv.DictReader(text):
                            rows += 1
                            spec = row["category_specification"]
                            if row["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS":
                                groups[
                                    (row["platform_name"], row["application_date"][:10], "m")
                                ] += 1
                            if "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL" in spec:
                                groups[
                                    (row["platform_name"], row["application_date"][:10], "c")
                                ] += 1
    return {"rows": rows, "seconds": time.perf_counter() - t0}


def _child_ceiling(dump: str) -> dict[str, float]:
    """Unzip each table and have DuckDB count its rows: the floor of any import's work."""
    import duckdb

    from amparo.dsa._dump import members

    t0 = time.perf_counter()
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        for m in members(Path(dump), Path(tmp)):
            con = duckdb.connect()
            found = con.execute(
                "SELECT count(*) FROM read_csv(?, header = true, all_varchar = true)",
                [str(m.path)],
            ).fetchone()
            rows += int(found[0]) if found else 0
            con.close()
            m.discard()
    return {"rows": rows, "seconds": time.perf_counter() - t0}


def _measure(kind: str, dump: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(dump)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", default="200000,500000,1000000")
    p.add_argument("--version", default="light", choices=["light", "full"])
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, dump = args.child
        child = {"amparo": _child_amparo, "peer": _child_peer, "ceiling": _child_ceiling}
        result = child[kind](dump)
        result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.rows.split(",")]
    print(
        f"## DSA dump import ({args.version}), fresh process each; peer: zipfile + csv.DictReader"
    )
    print(
        f"{'rows':>10} {'MB zip':>7} {'amparo rows/s':>14} {'peak RSS':>9} "
        f"{'peer rows/s':>12} {'peer RSS':>9} {'ratio':>6} {'of ceiling':>10} {'target':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            dump = make_dump(Path(tmp), rows, args.version)
            ours = _measure("amparo", dump)
            peer = _measure("peer", dump)
            ceiling = _measure("ceiling", dump)
            assert ours["rows"] == rows == peer["rows"] == ceiling["rows"], (ours, peer, ceiling)
            rate, peer_rate = rows / ours["seconds"], rows / peer["seconds"]
            top = rows / ceiling["seconds"]
            print(
                f"{rows:>10,} {dump.stat().st_size / 2**20:>7.1f} {rate:>14,.0f} "
                f"{ours['maxrss_mb']:>7.0f}MB {peer_rate:>12,.0f} {peer['maxrss_mb']:>7.0f}MB "
                f"{rate / peer_rate:>5.1f}x {rate / top:>9.0%} "
                f"{'ok' if rate >= TARGET else 'UNDER':>8}"
            )
            dump.unlink()


if __name__ == "__main__":
    main()
