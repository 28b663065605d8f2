"""The build's in-force step: which documents are in force (from their stored facts and claims), each document's
facts written with its standing and the user's corrections, and what changed audited (standing, and clauses
flagged as instructions to an assistant)."""

from __future__ import annotations

import getpass
from dataclasses import replace
from pathlib import Path

from ..errors import DocumentError
from ..ingest.analysis import analyse_file
from ..ingest.corrections import Corrections
from ..ingest.documents import FACTS_FILE
from ..ingest.facts import FACTS_VERSION
from ..ingest.in_force import Claims, Effect, standing, superseded
from ..ingest.limits import Limits
from ..ingest.provenance import untrusted
from ..ingest.versions import audit
from ..types import DocumentFacts


AUDITED_PASSAGES, AUDITED_CHARS = 5, 120  # of a document's flagged passages, in its audit line


def audit_flagged(docs_dir: Path, fresh: list) -> None:
    """Each document read anew (`Analysis`) that has clauses addressing an assistant (ingest/screening.py) gets an
    audit line naming them (bounded); the panel shows their count, answers never use those sentences."""
    for doc in fresh:
        flagged = [c for c in doc.clauses if c.flagged]
        if flagged:
            passages = [f[:AUDITED_CHARS] for c in flagged for f in c.flagged][:AUDITED_PASSAGES]
            audit(
                docs_dir, "instructions flagged", doc.name, getpass.getuser(), clauses=len(flagged), passages=passages
            )


def facts_and_claims(path: Path, limits: Limits, max_chars: int) -> dict:
    """An unchanged document's facts and standing claims under the current rules (read again in a parse child)."""
    try:
        analysis = analyse_file(path, limits, max_chars)
    except DocumentError:
        return {"extracted": {}, "claims": {}, "facts_version": FACTS_VERSION}
    return {"extracted": analysis.facts.to_dict(), "claims": analysis.claims.to_dict(), "facts_version": FACTS_VERSION}


def document_standing(
    docs_dir: Path, documents_json: dict[str, dict], doc_records: dict[str, dict], corrections: Corrections, old
) -> tuple[list[Effect], list[str]]:
    """Decide which documents are in force (from their stored facts and claims, and who is trusted), write each
    document's facts with its standing and the user's corrections, and audit what changed since the last build.
    Returns every effect (applied or pending) and the lines describing the new ones."""
    facts_of = {name: DocumentFacts.from_dict(record["extracted"]) for name, record in documents_json.items()}
    uploads = untrusted(docs_dir, {name: str(record.get("sha256", "")) for name, record in doc_records.items()})
    effects = standing(
        {n: (f, Claims.from_dict(documents_json[n].get("claims"))) for n, f in facts_of.items()},
        corrections.trusted,
        untrusted=uploads - corrections.trusted,
    )
    out_of_force = superseded(effects)
    notes: dict[str, list[str]] = {}
    for effect in effects:
        notes.setdefault(effect.target, []).append(effect.describe())
        if effect.by:
            notes.setdefault(effect.by, []).append(effect.describe())
    for name, record in documents_json.items():  # the user's corrections win (documents.toml)
        facts = replace(facts_of[name], superseded=out_of_force.get(name)).corrected(corrections.facts.get(name, {}))
        record["facts"] = facts.to_dict()
        doc_records[name] = {
            **doc_records[name],
            "facts": facts.summary(),
            "standing": notes.get(name, []),
            "unconfirmed_upload": name in uploads,
        }
    user = getpass.getuser()
    before = (old.manifest.get("facts_file_sha256") or "") if old else ""
    if corrections.sha256 != before and (corrections.sha256 or before):  # written, changed or removed: audited
        audit(
            docs_dir,
            "facts corrected" if corrections.sha256 else "facts corrections removed",
            FACTS_FILE,
            user,
            sha256=corrections.sha256 or before,
            documents=sorted(corrections.names()),
        )
    previous = {Effect.from_dict(e) for e in (old.manifest.get("standing") or [])} if old else set()
    messages = []
    for effect in effects:
        if effect not in previous:
            messages.append(effect.describe())
            audit(
                docs_dir,
                "standing changed" if effect.applied else "standing claim not applied",
                effect.target,
                user,
                kind=effect.kind,
                by=effect.by,
                effect=effect.text,
                reason=effect.reason,
            )
    for effect in sorted(previous - set(effects), key=lambda e: (e.target, e.by)):
        if effect.applied and effect.target in documents_json:
            audit(docs_dir, "standing restored", effect.target, user, kind=effect.kind, by=effect.by)
            messages.append(f"{effect.target}：不再受 {effect.by or '有效期'} 影响，恢复为有效")
    return effects, messages
