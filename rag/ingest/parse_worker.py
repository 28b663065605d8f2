"""The child process of `isolation.py`: reads requests (a JSON header line, then the file's bytes) on stdin and
answers each with one JSON line (text and encoding, or the reason it cannot be read) on stdout. Its address
space is limited before the first request, so a file that inflates past it fails here, not in the server."""
from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from ..errors import DocumentError
from .limits import Limits
from .readers import extract_text


def _answer(header: dict, data: bytes) -> dict:
    name = header["name"]
    try:
        text, encoding = extract_text(Path(name), data, Limits(**header["limits"]))
    except DocumentError as exc:
        return {"error": exc.reason}
    except MemoryError:
        return {"error": f"parsing needed more than the memory limit "
                         f"({int(os.environ['RAG_PARSE_MEMORY_BYTES']) >> 20} MB)"}
    except Exception as exc:  # parsers raise many types on corrupt files
        return {"error": f"unreadable {Path(name).suffix} file ({type(exc).__name__}: {str(exc)[:200]})"}
    return {"text": text, "encoding": encoding}


def main() -> None:
    import lxml.etree  # noqa: F401  loaded before the limit: the parsers, not their code, are what it bounds
    import pypdf  # noqa: F401

    memory = int(os.environ.get("RAG_PARSE_MEMORY_BYTES", "0"))
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = source.readline()
        if not line:
            return
        header = json.loads(line)
        data = source.read(header["size"])
        reply = _answer(header, data)
        del data
        sink.write(json.dumps(reply).encode("ascii") + b"\n")
        sink.flush()


if __name__ == "__main__":
    main()
