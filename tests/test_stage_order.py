"""The stage order (docs/architecture.md) holds: no module imports a stage above its own, at module level or
inside a function (so no circle crosses stages, as answerer ↔ session once did), and no two modules import each other
through any chain, within a stage either (as e5_onnx ↔ embedders once did), and no module is over 300 lines. Also: secrets out of repr, one
vocabulary of department endings, RAG_TOP_K honoured."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rag.config import Settings
from rag.text.names import DEPARTMENT_SUFFIXES, GOVERNMENT_DEPARTMENT_SUFFIXES

RAG = Path(__file__).resolve().parents[1] / "rag"
# Floors, lowest first. A module may import its own floor and those below.
FLOORS = [
    {"text"},  # text rules: normalisation, sentences, figures, masks, names
    {"config", "errors", "types", "runtime", "rate_limit"},  # the foundation: settings and their defaults, errors, data types
    {"ingest"},
    {"indexing"},
    {"query"},
    {"retrieval"},
    {"llm"},
    {"answering"},
    {"session", "feedback", "rebuilds"},  # one session's index and models; feedback; rebuilds shared by all below
    {"watch"},  # the watched folder: rebuilds only
    {"web"},  # the HTTP API: no page in it
    {"ui"},  # the chat page: no API in it
    {"serve"},  # the server: the API and the page assembled on one app
    {"api", "cli", "llama_adapter", "evaluation", "__init__", "__main__"},
]
FLOOR = {name: i for i, names in enumerate(FLOORS) for name in names}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(RAG.parent).with_suffix("").parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every `rag` import in the file, at any depth."""
    package = _module(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module(path.parent / "x.py").rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            out += [(node.lineno, t) for t in targets if t.startswith("rag")]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("rag")]
    return out


def _floor(module: str) -> int:
    parts = module.split(".")
    return FLOOR[parts[1] if len(parts) > 1 else "__init__"]


def test_no_import_runs_up_the_stage_order():
    up = []
    for path in sorted(RAG.rglob("*.py")):
        here = _module(path)
        for line, target in _imports(path):
            if _floor(target) > _floor(here):
                up.append(f"{path.relative_to(RAG.parent)}:{line} imports {target}")
    assert not up, "\n".join(up)


def _module_graph() -> dict[str, set[str]]:
    """module -> the rag modules it imports (an import of a name from a package counts as the package's)."""
    modules = {_module(p).removesuffix(".__init__") for p in RAG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in RAG.rglob("*.py"):
        here = _module(path).removesuffix(".__init__")
        targets = set()
        for _, target in _imports(path):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != here:
                targets.add(target)
        graph[here] = targets
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_import_circle():
    # a package's __init__ that re-exports its modules is not a circle with them; the lazy `rag` table is one
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in _module_graph().items()}
    assert _circles(graph) == []


def test_the_circle_finder_finds_one():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


MAX_MODULE_LINES = 300  # a module a newcomer reads in one sitting (issue 30)


def test_no_module_is_longer_than_a_newcomer_reads_in_one_sitting():
    long = {str(p.relative_to(RAG)): n for p in RAG.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_every_stage_has_a_floor():
    stages = {p.stem if p.is_file() else p.name for p in RAG.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert stages <= set(FLOOR), stages - set(FLOOR)


def test_secrets_are_not_in_the_settings_repr():
    settings = Settings(openai_api_key="sk-secret-1", milvus_token="user:secret-2", auth_password="secret-3")
    shown = repr(settings) + str(settings)
    assert not any(s in shown for s in ("sk-secret-1", "secret-2", "secret-3")) and "top_k" in shown


def test_store_config_hides_the_milvus_token():
    from rag.indexing.engines import StoreConfig

    config = StoreConfig.from_settings(Settings(store="milvus", milvus_uri="http://m:19530", milvus_token="u:secret"))
    assert config.milvus_token == "u:secret" and "secret" not in repr(config)


def test_answer_department_endings_are_among_the_department_endings():
    assert set(GOVERNMENT_DEPARTMENT_SUFFIXES) <= set(DEPARTMENT_SUFFIXES)


def test_top_k_setting_is_honoured_by_retrieve(fake_session):
    session = type(fake_session)(fake_session.settings.with_(top_k=3), embedder=fake_session.embedder)
    assert len(session.retrieve("唐山 孵化器 奖补")) == 3
    assert len(session.retrieve("唐山 孵化器 奖补", 2)) == 2


@pytest.mark.parametrize("argv", [["retrieve", "问题"], ["eval", "gold.jsonl"]])
def test_cli_k_defaults_to_the_setting(argv):
    from rag.cli import parser

    assert parser().parse_args(argv).k is None


def test_every_score_threshold_of_the_answer_path_lives_in_thresholds_py():
    """A module-level float constant of answering/ (a share, a bonus, a margin) is defined in thresholds.py;
    sizes (characters, items) stay with the module that cuts by them, durations end in _SECONDS."""
    stray = []
    for path in sorted((RAG / "answering").glob("*.py")):
        if path.name == "thresholds.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and type(node.value.value) is float:
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if names and not all(n.endswith("_SECONDS") for n in names):
                    stray.append(f"{path.name}:{node.lineno} {names}")
    assert not stray, stray


def test_every_error_a_user_can_meet_is_a_rag_error():
    """Typed errors live in rag/errors.py and share one root, so a caller catches RagError and shows `zh`."""
    from rag.answering.prompts import PromptError
    from rag.errors import RagError
    from rag.ui.uploads import UploadError

    assert issubclass(PromptError, RagError) and issubclass(UploadError, RagError)
    assert UploadError("文件是空的").zh == "文件是空的"
    defined = [p for p in RAG.rglob("*.py") if "class " in p.read_text(encoding="utf-8")]
    outside = sorted(
        f"{p.relative_to(RAG)}:{node.name}"
        for p in defined
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and node.name.endswith("Error")
        and not any(isinstance(b, ast.Name) and b.id.endswith(("Error", "Problem", "Missing")) and b.id != "ValueError" for b in node.bases)
    )
    # the root itself, and ApiError: the HTTP reply's shape (code, message), made from a RagError, not a cause
    assert outside == ["errors.py:RagError", "web/errors.py:ApiError"]
