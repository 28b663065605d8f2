"""Size limits checked before a file is parsed past them: the same for the CLI, the API and the page."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from ..config import Settings
from ..errors import DocumentError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one document may cost. Defaults suit policy documents (the seeds are 3–30 KB each)."""

    file_bytes: int = 20 * MB  # on disk, checked before the file is read
    unzipped_bytes: int = 64 * MB  # all members of a .docx together, from the zip directory, before inflating
    zip_ratio: float = 100.0  # uncompressed / compressed, for the whole archive and for any member
    pdf_pages: int = 500
    document_chars: int = 1_000_000  # text after extraction
    new_clauses: int = 5_000  # clauses to embed in one build (about 10–30 min on 2 cores); more needs allow_large
    # What parsing may cost, whatever a file's header declares (a policy document needs far less of each):
    zip_members: int = 2_000  # entries in a .docx (a real one has 10–200)
    xml_elements: int = 2_000_000  # elements of a .docx body (a 100-page document has about 200,000)
    html_tags: int = 200_000  # tags of an .html page (a long policy page has a few thousand)
    parse_seconds: float = 30.0  # wall time of one .docx/.pdf/.html parse, in its child process
    parse_memory_bytes: int = 768 * MB  # address space of that child process
    parse_workers: int = 2  # such children at once; more parses wait their turn


def limits_from(settings: Settings) -> Limits:
    """The document limits the settings give (RAG_MAX_*, RAG_PARSE_*)."""
    return Limits(
        settings.max_file_bytes,
        settings.max_unzipped_bytes,
        settings.max_zip_ratio,
        settings.max_pdf_pages,
        settings.max_document_chars,
        settings.max_new_clauses,
        parse_seconds=settings.parse_seconds,
        parse_memory_bytes=settings.parse_memory_bytes,
        parse_workers=max(1, settings.parse_workers),
    )


def check_file_size(name: str, size: int, limits: Limits) -> None:
    if size > limits.file_bytes:
        raise DocumentError(name, f"file is {size / MB:.1f} MB; the limit is {limits.file_bytes / MB:.0f} MB")


def check_zip(name: str, data: bytes, limits: Limits) -> None:
    """Reject a zip bomb from the archive's directory alone, before anything is inflated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DocumentError(name, f"not a valid .docx (zip) file ({exc})") from exc
    members = archive.infolist()
    if len(members) > limits.zip_members:
        raise DocumentError(name, f"{len(members):,} entries in the archive; the limit is {limits.zip_members:,}")
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > limits.unzipped_bytes:
        raise DocumentError(name, f"unpacks to {total / MB:.0f} MB; the limit is {limits.unzipped_bytes / MB:.0f} MB")
    worst = max((m.file_size / max(1, m.compress_size) for m in members), default=0.0)
    if total / packed > limits.zip_ratio or worst > limits.zip_ratio * 10:
        raise DocumentError(
            name, f"compression ratio {max(total / packed, worst):.0f}:1 exceeds {limits.zip_ratio:.0f}:1 (a zip bomb?)"
        )


class CappedReader(io.RawIOBase):
    """A stream that raises DocumentError once more than `cap` bytes have been read from it: inflating stops at
    the bytes actually produced, whatever the zip directory declares."""

    def __init__(self, name: str, stream, cap: int) -> None:
        super().__init__()
        self.name, self.stream, self.cap, self.read_bytes = name, stream, cap, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.stream.read(min(len(buffer), 1 << 16))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.cap:
            raise DocumentError(
                self.name, f"unpacks to more than {self.cap / MB:.0f} MB; the limit is {self.cap / MB:.0f} MB"
            )
        buffer[: len(chunk)] = chunk
        return len(chunk)


def check_pages(name: str, pages: int, limits: Limits) -> None:
    if pages > limits.pdf_pages:
        raise DocumentError(name, f"{pages} PDF pages; the limit is {limits.pdf_pages}")


def check_count(name: str, what: str, count: int, limit: int) -> None:
    if count > limit:
        raise DocumentError(name, f"more than {limit:,} {what}; the limit is {limit:,}")


def check_chars(name: str, chars: int, limits: Limits) -> None:
    if chars > limits.document_chars:
        raise DocumentError(name, f"{chars:,} characters of text; the limit is {limits.document_chars:,}")
