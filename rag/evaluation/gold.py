"""Gold sets: the dev.jsonl format (question, quotes, type) and ncp-policies-qa style folders."""
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


def load_external(folder: Path) -> tuple[list[tuple[str, str]], list[GoldItem]]:
    """(documents as (id, text), questions) from an ncp-policies-qa style folder."""
    docs = [json.loads(l) for l in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    sample = [json.loads(l) for l in (folder / "sample.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    items = [GoldItem(s["id"], s["question"], (s["answer"],), "external") for s in sample]
    return [(d["id"], d["text"]) for d in docs], items
