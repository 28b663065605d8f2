"""The child process of `isolation.py`: writes `ready` once started and limited, then reads requests (a JSON
header line, then the file's bytes) on stdin and answers each with one JSON line on stdout: the text and encoding
(`parse`), everything the index keeps of the document (`analyse`, ingest/analysis.py), or the reason the file
cannot be used. Its address space is limited before the first request, so a file that inflates past it, or a
rule that runs away on it, fails here, not in the server."""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from ..errors import DocumentError
from .isolation import READY
from .limits import Limits
from .readers import extract_text


def _answer(header: dict, data: bytes) -> dict:
    from .analysis import analyse_bytes

    name = header["name"]
    limits = Limits(**header["limits"])
    try:
        if header.get("kind") == "analyse":
            return {"analysis": analyse_bytes(name, data, limits, int(header["max_chars"])).to_dict()}
        text, encoding = extract_text(Path(name), data, limits)
    except DocumentError as exc:
        return {"error": exc.reason}
    except MemoryError:
        return {
            "error": f"reading it needed more than the memory limit "
            f"({int(os.environ['RAG_PARSE_MEMORY_BYTES']) >> 20} MB)"
        }
    except RecursionError:
        return {"error": "its structure is nested too deeply to read"}
    except Exception as exc:  # parsers raise many types on corrupt files
        return {"error": f"unreadable {Path(name).suffix} file ({type(exc).__name__}: {str(exc)[:200]})"}
    return {"text": text, "encoding": encoding}


def main() -> None:
    import lxml.etree  # noqa: F401  loaded before the limit: the parsers, not their code, are what it bounds
    import pypdf  # noqa: F401

    from . import analysis  # noqa: F401  the rules' code too

    memory = int(os.environ.get("RAG_PARSE_MEMORY_BYTES", "0"))
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sink.write(READY)
    sink.flush()
    while True:
        line = source.readline()
        if not line:
            return
        header = json.loads(line)
        data = source.read(header["size"])
        reply = _answer(header, data)
        del data
        sink.write(json.dumps(reply).encode("ascii") + b"\n")  # ASCII: any text, even lone surrogates
        sink.flush()


if __name__ == "__main__":
    main()
