"""Transparency Database dumps made in the test, with the database's real columns and layout.

``write_dump`` writes ``sor-<slug>-<date>-<version>.zip``: a stored zip of
``…-<part>.csv.zip`` parts, each a deflated zip of CSVs with a header, as
``StatementCsvExportZ`` and ``StatementCsvExportGroupParts`` do, and the ``.sha1`` companion.
Nothing is downloaded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from amparo.dsa import FULL_COLUMNS, LIGHT_COLUMNS


@dataclass(frozen=True)
class Statement:
    platform: str = "ExampleTube"
    category: str = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    category_addition: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ("KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",)
    automated_detection: str = "Yes"
    automated_decision: str = "AUTOMATED_DECISION_FULLY"
    visibility: tuple[str, ...] = ("DECISION_VISIBILITY_CONTENT_REMOVED",)
    content_date: str = "2025-03-01 00:00:00"
    application_date: str = "2025-03-02 00:00:00"
    created_at: str = "2025-03-03 10:11:12"
    extra: dict[str, str] = field(default_factory=dict)

    def row(self, columns: Sequence[str]) -> list[str]:
        values = {
            "uuid": str(uuid.uuid4()),
            "decision_visibility": json.dumps(list(self.visibility)),
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": 'Art. 5, with a comma, and "quotes"',
            "illegal_content_explanation": "Explanation, multi\nline",
            "category": self.category,
            "category_addition": json.dumps(list(self.category_addition)),
            "category_specification": json.dumps(list(self.keywords)),
            "content_type": json.dumps(["CONTENT_TYPE_IMAGE"]),
            "content_date": self.content_date,
            "territorial_scope": json.dumps(["DE", "FR"]),
            "application_date": self.application_date,
            "decision_facts": "Facts",
            "source_type": "SOURCE_TRUSTED_FLAGGER",
            "automated_detection": self.automated_detection,
            "automated_decision": self.automated_decision,
            "platform_name": self.platform,
            "platform_uid": str(uuid.uuid4()),
            "created_at": self.created_at,
            **self.extra,
        }
        return [values.get(c, "") for c in columns]


def csv_bytes(
    statements: Sequence[Statement], version: str = "full", *, columns: Sequence[str] | None = None
) -> bytes:
    cols = list(columns or (FULL_COLUMNS if version == "full" else LIGHT_COLUMNS))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for s in statements:
        writer.writerow(s.row(cols))
    return buf.getvalue().encode()


def write_dump(
    folder: Path,
    statements: Sequence[Statement],
    *,
    day: str = "2025-03-03",
    version: str = "full",
    slug: str = "global",
    per_csv: int = 1000,
    per_part: int = 3,
    raw_tail: bytes = b"",
    columns: Sequence[str] | None = None,
) -> Path:
    """A dump in the database's layout; ``raw_tail`` is appended to the last CSV as is."""
    base = f"sor-{slug}-{day}-{version}"
    chunks = [statements[i : i + per_csv] for i in range(0, len(statements), per_csv)] or [[]]
    outer_path = folder / f"{base}.zip"
    with zipfile.ZipFile(outer_path, "w", zipfile.ZIP_STORED) as outer:
        for part_no, start in enumerate(range(0, len(chunks), per_part)):
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
                for sub, chunk in enumerate(chunks[start : start + per_part]):
                    data = csv_bytes(chunk, version, columns=columns)
                    if start + sub == len(chunks) - 1:
                        data += raw_tail
                    z.writestr(f"{base}-{part_no:05d}-{sub:05d}.csv", data)
            outer.writestr(f"{base}-{part_no:05d}.csv.zip", inner.getvalue())
    sha1 = hashlib.sha1(outer_path.read_bytes(), usedforsecurity=False).hexdigest()
    (folder / f"{base}.zip.sha1").write_text(f"{sha1}  {outer_path.name}\n")
    return outer_path


KEYWORDS = (
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
    "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
    "KEYWORD_ADULT_SEXUAL_MATERIAL",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
)
CATEGORIES = (
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_VIOLENCE",
)


def random_statements(
    n: int, seed: int = 1, platforms: Sequence[str] = ("A", "B")
) -> list[Statement]:
    rng = random.Random(seed)
    out = []
    start = datetime(2025, 3, 1)
    for _ in range(n):
        content = start + timedelta(days=rng.randint(0, 20))
        applied = content + timedelta(days=rng.randint(0, 10))
        created = applied + timedelta(days=rng.randint(0, 2), seconds=rng.randint(0, 86399))
        out.append(
            Statement(
                platform=rng.choice(platforms),
                category=rng.choice(CATEGORIES),
                category_addition=tuple(rng.sample(CATEGORIES, rng.randint(0, 1))),
                keywords=tuple(rng.sample(KEYWORDS, rng.randint(0, 2))),
                automated_detection=rng.choice(("Yes", "No")),
                automated_decision=rng.choice(
                    (
                        "AUTOMATED_DECISION_FULLY",
                        "AUTOMATED_DECISION_PARTIALLY",
                        "AUTOMATED_DECISION_NOT_AUTOMATED",
                    )
                ),
                visibility=tuple(
                    rng.sample(
                        (
                            "DECISION_VISIBILITY_CONTENT_REMOVED",
                            "DECISION_VISIBILITY_CONTENT_DEMOTED",
                        ),
                        rng.randint(0, 1),
                    )
                ),
                content_date=content.strftime("%Y-%m-%d 00:00:00"),
                application_date=applied.strftime("%Y-%m-%d 00:00:00"),
                created_at=created.strftime("%Y-%m-%d %H:%M:%S"),
            )
        )
    return out


def day_of(text: str) -> date:
    return date.fromisoformat(text[:10])
