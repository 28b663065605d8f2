"""Gold sets in the dev.jsonl format (question, quotes, type); third-party folders are read by external.py."""
from __future__ import annotations

import json
from pathlib import Path

from .metrics import GoldItem


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(GoldItem(str(row.get("id", n)), row["question"], tuple(row.get("quotes") or ()),
                                  row.get("type", "factoid")))
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path}:{n}: not a gold item ({exc})") from exc
    return items
