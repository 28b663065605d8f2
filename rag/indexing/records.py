"""A clause as the index stores it (with its id and content hash), and its JSON form (no pickle)."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import Clause


@dataclass(frozen=True)
class StoredClause:
    """A clause as stored: the clause plus its vector id and content hash."""

    clause: Clause
    vid: int
    hash: str


def clause_to_json(sc: StoredClause) -> dict:
    data = sc.clause.to_dict()
    del data["departments"]  # derived from the duties
    del data["facts"]  # stored once per document (documents.json), attached at load
    data["vid"] = sc.vid
    data["hash"] = sc.hash
    return data


def clause_from_json(data: dict) -> StoredClause:
    return StoredClause(Clause.from_dict(data), int(data["vid"]), data["hash"])
