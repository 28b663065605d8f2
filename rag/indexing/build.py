"""Build or update the index from a document folder, re-embedding only what changed."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import numpy as np

from ..config import MAX_CLAUSE_CHARS
from ..errors import BuildTooLarge, DocumentError, IndexProblem
from ..ingest.analysis import analyse_file
from ..ingest.corrections import read_corrections
from ..ingest.documents import file_sha256, scan_folder
from ..ingest.facts import FACTS_VERSION
from ..ingest.limits import Limits
from ..ingest.readers import check_supported
from ..text.normalize import for_search
from ..text.tokens import TOKENIZER_VERSION
from ..types import BuildReport
from .embedders import Embedder, resolve_dim, vector_space
from .build_records import BuildJob, Planned, Scanned
from .runner import ANNOUNCE_CLAUSES, PassageRunner, Progress, embed_in_process, embedding_estimate
from .sentences import build_sentences
from .standing import audit_flagged, document_standing, facts_and_claims
from .engines import StoreConfig, make_store
from .store import FORMAT_VERSION, StoredClause, build_lock, current_generation, load_index, write_generation

log = logging.getLogger(__name__)
HELD_REASON = "still being written; built once it has stopped changing"


def build_index(  # noqa: PLR0913 (known debt, issue 30)
    docs_dir: Path | str = "seeds",
    index_dir: Path | str = "index",
    full: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    max_clause_chars: int = MAX_CLAUSE_CHARS,
    limits: Limits = Limits(),
    allow_large: bool = False,
    store: StoreConfig = StoreConfig(),
    sentence_vectors: bool = False,
    runner: PassageRunner | None = None,
    hold: frozenset[str] = frozenset(),
) -> BuildReport:
    """Build the index, or update it incrementally: only added/changed documents are parsed and
    only clauses whose content hash is new are embedded. `full=True` starts from scratch. More than
    `limits.new_clauses` new clauses raise BuildTooLarge (with the time it would take) unless allow_large.
    `store` says where the vectors and keywords go (FAISS files or Milvus); vectors of unchanged clauses are
    taken from the previous generation whichever store that one used. `runner` embeds the new passages (default:
    `embedder` in this process; a Ray build passes distributed.RayEmbedding); the embedder still names the
    vector space and answers for the dimension. `hold`: file names not to read now (a watched file still being
    written): an indexed one keeps its previous version, a new one is skipped with the reason."""
    from .embedders import make_embedder

    started = time.perf_counter()
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    embedder = embedder or make_embedder("e5")
    runner = runner or functools.partial(embed_in_process, embedder)
    target = make_store(store, index_dir)
    files, not_read = scan_folder(docs_dir)
    with build_lock(index_dir):
        old = None
        if not full and current_generation(index_dir) is not None:
            try:
                old = load_index(index_dir, store=store)
            except IndexProblem as exc:
                log.warning("previous index unusable (%s); doing a full build", exc)
            if old is not None and vector_space(old.manifest["embedder"]) != embedder.space:
                log.warning(
                    "previous index used embedder %s (another vector space); doing a full build",
                    old.manifest["embedder"]["name"],
                )
                old = None
        job = BuildJob(
            docs_dir=docs_dir,
            index_dir=index_dir,
            files=files,
            not_read=not_read,
            old=old,
            full=full or old is None,
            embedder=embedder,
            runner=runner,
            target=target,
            progress=progress,
            limits=limits,
            max_chars=max_clause_chars,
            allow_large=allow_large,
            sentence_vectors=sentence_vectors,
            started=started,
            hold=hold,
        )
        return _build(job)


def _scan(job: BuildJob) -> Scanned:
    """Hash every file; an unchanged one keeps its clauses and records, a new or changed one is analysed (in a
    parse child, within the limits); unreadable ones are skipped with the reason."""
    old = job.old
    old_docs = old.manifest["documents"] if old else {}
    old_by_doc: dict[str, list[StoredClause]] = {}
    for sc in old.clauses if old else []:
        old_by_doc.setdefault(sc.clause.doc, []).append(sc)
    out = Scanned(skipped=list(job.not_read))
    seen: set[str] = set()
    for i, path in enumerate(job.files):
        if job.progress:
            job.progress("reading", i, len(job.files))
        try:
            check_supported(path)
            digest = file_sha256(path, job.limits.file_bytes)  # an oversized file is never read, not even hashed
        except DocumentError as exc:
            log.warning("skipping %s", exc)
            out.skipped.append((path.name, exc.reason))
            continue
        except OSError as exc:
            out.skipped.append((path.name, f"cannot read ({exc.strerror})"))
            continue
        if path.name in job.hold and path.name not in old_docs:
            out.skipped.append((path.name, HELD_REASON))
            continue
        seen.add(path.name)
        if path.name in old_docs and (old_docs[path.name]["sha256"] == digest or path.name in job.hold):
            _keep(job, out, path, old_docs[path.name], old_by_doc.get(path.name, []))
            continue
        try:
            doc = analyse_file(path, job.limits, job.max_chars)  # in a parse child, within the limits
        except DocumentError as exc:
            log.warning("skipping %s", exc)
            out.skipped.append((path.name, exc.reason))
            out.skipped_hashes[path.name] = digest
            continue
        (out.changed if path.name in old_docs else out.added).append(path.name)
        out.fresh.append(doc)
    out.removed = sorted(n for n in old_docs if n not in seen or n in dict(out.skipped))
    if not out.kept and not out.fresh:
        raise DocumentError("", f"no usable documents in {job.docs_dir} ({len(out.skipped)} skipped)")
    return out


def _keep(job: BuildJob, out: Scanned, path: Path, record: dict, clauses: list[StoredClause]) -> None:
    """An unchanged document: its clauses, manifest record and stored text carry over; its facts and claims are
    read again when they were read under older rules."""
    out.unchanged.append(path.name)
    out.kept.extend(clauses)
    out.doc_records[path.name] = record
    out.documents_json[path.name] = dict(job.old.documents[path.name])
    if out.documents_json[path.name].get("facts_version") != FACTS_VERSION:  # older rules (or none): read again
        out.documents_json[path.name].update(facts_and_claims(path, job.limits, job.max_chars))


def _plan(job: BuildJob, scanned: Scanned) -> Planned:
    """Number the fresh documents' clauses, record the documents, and decide which clauses need embedding."""
    old = job.old
    old_vid_by_hash: dict[str, int] = {sc.hash: sc.vid for sc in (old.clauses if old else [])}
    next_vid = max((sc.vid for sc in old.clauses), default=-1) + 1 if old else 0
    new_clauses: list[StoredClause] = []
    for doc in scanned.fresh:
        clauses = doc.clauses
        for clause in clauses:
            new_clauses.append(StoredClause(clause, next_vid, clause.content_hash()))
            next_vid += 1
        scanned.doc_records[doc.name] = {
            "sha256": doc.sha256,
            "title": doc.title,
            "clauses": len(clauses),
            "encoding": doc.encoding,
            "flagged": sum(1 for c in clauses if c.flagged),
        }
        scanned.documents_json[doc.name] = {
            "title": doc.title,
            "text": doc.original,
            "sha256": doc.sha256,
            "encoding": doc.encoding,
            "extracted": doc.facts.to_dict(),
            "claims": doc.claims.to_dict(),
            "facts_version": FACTS_VERSION,
        }
    to_embed = [sc for sc in new_clauses if sc.hash not in old_vid_by_hash]
    reuse = [sc for sc in new_clauses if sc.hash in old_vid_by_hash]
    return Planned(new_clauses, to_embed, reuse, old_vid_by_hash)


def _check_size(job: BuildJob, plan: Planned) -> None:
    """More new clauses than the limit stop the build (with the time they would take) unless allowed; a big
    build announces its estimate."""
    # With sentence vectors, clauses and then their sentences are embedded: about twice the clause characters.
    chars = (2 if job.sentence_vectors else 1) * sum(len(sc.clause.search_text()) for sc in plan.to_embed)
    if len(plan.to_embed) > job.limits.new_clauses and not job.allow_large:
        raise BuildTooLarge(
            f"{embedding_estimate(len(plan.to_embed), chars)}; the limit is {job.limits.new_clauses:,} per "
            "build: pass --allow-large (CLI) or raise RAG_MAX_NEW_CLAUSES"
        )
    if len(plan.to_embed) > ANNOUNCE_CLAUSES:
        log.warning("embedding %s", embedding_estimate(len(plan.to_embed), chars))


def _vectors(
    job: BuildJob,
    all_clauses: list[StoredClause],
    kept: list[StoredClause],
    plan: Planned,
    embedded: np.ndarray | None,
    dim: int,
) -> np.ndarray:
    """Every clause's vector in the new generation's row order: kept and reused ones from the previous
    generation, the rest just embedded."""
    row = {sc.vid: i for i, sc in enumerate(all_clauses)}
    all_vectors = np.zeros((len(all_clauses), dim), dtype=np.float32)
    if kept:
        all_vectors[[row[sc.vid] for sc in kept]] = job.old.engine.vectors([sc.vid for sc in kept])
    if plan.reuse:
        all_vectors[[row[sc.vid] for sc in plan.reuse]] = job.old.engine.vectors(
            [plan.old_vid_by_hash[sc.hash] for sc in plan.reuse]
        )
    if plan.to_embed:
        all_vectors[[row[sc.vid] for sc in plan.to_embed]] = embedded
    return all_vectors


def _build(job: BuildJob) -> BuildReport:
    """The stages: scan, plan, embed, assemble (and sentence vectors), standing, write."""
    corrections = read_corrections(job.docs_dir)
    scanned = _scan(job)
    audit_flagged(job.docs_dir, scanned.fresh)
    plan = _plan(job, scanned)
    _check_size(job, plan)
    dim = resolve_dim(job.embedder)
    texts = [for_search(sc.clause.search_text()) for sc in plan.to_embed]
    embedded = job.runner(texts, job.progress) if plan.to_embed else None
    all_clauses = sorted(scanned.kept + plan.new_clauses, key=lambda sc: (sc.clause.doc, sc.vid))
    all_vectors = _vectors(job, all_clauses, scanned.kept, plan, embedded, dim)
    sentences = None
    if job.sentence_vectors:
        sentences, _ = build_sentences(
            all_clauses,
            job.old.sentences if job.old is not None else None,
            lambda texts: job.runner(texts, job.progress, stage="sentences"),
        )
    effects, messages = document_standing(
        job.docs_dir, scanned.documents_json, scanned.doc_records, corrections, job.old
    )
    warnings = corrections.unknown(set(scanned.documents_json))
    for warning in warnings:
        log.warning("%s", warning)
    if job.progress:
        job.progress("keyword index", 0, 1)
    manifest = {
        "format": FORMAT_VERSION,
        "tokenizer": TOKENIZER_VERSION,
        "embedder": {"name": job.embedder.name, "dim": dim, "space": job.embedder.space},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "docs_dir": str(job.docs_dir),
        "documents": scanned.doc_records,
        "skipped": scanned.skipped,
        "skipped_hashes": scanned.skipped_hashes,
        "clauses": len(all_clauses),
        "sentences": sentences.count if sentences is not None else 0,
        "facts_file_sha256": corrections.sha256,
        "standing": [e.to_dict() for e in effects],
    }
    write_generation(job.index_dir, manifest, all_clauses, scanned.documents_json, all_vectors, job.target, sentences)
    if job.progress:
        job.progress("done", 1, 1)
    return BuildReport(
        added=tuple(scanned.added),
        changed=tuple(scanned.changed),
        removed=tuple(scanned.removed),
        unchanged=tuple(scanned.unchanged),
        skipped=tuple(scanned.skipped),
        documents=len(scanned.doc_records),
        clauses=len(all_clauses),
        embedded=len(plan.to_embed),
        reused=len(plan.reuse) + len(scanned.kept),
        characters_embedded=sum(len(sc.clause.search_text()) for sc in plan.to_embed),
        seconds=time.perf_counter() - job.started,
        full=job.full,
        index_dir=str(job.index_dir),
        standing=tuple(messages),
        warnings=tuple(warnings),
    )
