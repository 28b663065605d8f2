"""The package installs anywhere: pyproject names every package (a folder left out would be missing from a wheel),
and a non-editable install, run from another folder, answers with its prompts and learned parameters."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def test_pyproject_names_every_package_and_its_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "rag").rglob("__init__.py")}
    assert set(config["packages"]) == found | {"rag.prompts"}
    assert config["package-dir"] == {"rag.prompts": "prompts"}
    data = config["package-data"]
    shipped = {f"rag.answering/{name}" for name in data["rag.answering"]}
    assert {f"rag.answering/{p.name}" for p in (ROOT / "rag" / "answering").glob("*.json")} <= shipped
    assert data["rag.prompts"] == ["*.txt"]


# Modules of the package that only an extra's feature imports (each in a function, never at module level).
EXTRA_MODULES = {"ray": "ray", "matplotlib": "bench", "playwright": "bench"}


def test_every_module_the_package_imports_is_a_declared_dependency():
    """Read from the installed package's own metadata: a module rag/ imports that only another dependency brings
    (lxml came with python-docx, in the test extra alone) breaks a plain `pip install .`."""
    import ast
    import re
    from importlib.metadata import packages_distributions, requires

    declared: dict[str, str] = {}
    for line in requires("policy-rag") or []:
        name = re.split(r"[<>=!;\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
        extra = re.search(r'extra == "([^"]+)"', line)
        declared[name] = extra.group(1) if extra else ""
    owners = packages_distributions()
    imported: set[str] = set()
    for path in (ROOT / "rag").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
    missing = []
    for module in sorted(imported - set(sys.stdlib_module_names) - {"rag", "tomli"}):
        dists = {d.lower().replace("_", "-") for d in owners.get(module, [])}
        wanted = EXTRA_MODULES.get(module, "")
        if not any(declared.get(d) == wanted for d in dists):
            missing.append(f"{module} (from {sorted(dists) or '?'}; wanted in {wanted or 'the dependencies'})")
    assert not missing, missing


@pytest.mark.slow
def test_a_non_editable_install_answers_from_another_folder(tmp_path):
    target, work = tmp_path / "site", tmp_path / "elsewhere"
    work.mkdir()
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                              "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    assert not (target / "prompts").exists() and (target / "rag" / "prompts" / "refusal.txt").is_file()
    shutil.copytree(SEEDS, work / "docs")
    env = {**os.environ, "PYTHONPATH": str(target), "RAG_DOCS_DIR": str(work / "docs"),
           "RAG_INDEX_DIR": str(work / "index")}
    probe = subprocess.run([sys.executable, "-c", "import rag, rag.answering.prompts as p; print(rag.__file__); "
                            "print(p.PROMPT_DIR)"], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert all(line.startswith(str(target)) for line in probe.stdout.split())
    ask = subprocess.run([sys.executable, "-m", "rag", "ask", "--llm", "extractive",
                          "唐山对新认定的国家级和省级科技企业孵化器分别奖补多少钱？"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert ask.returncode == 0, ask.stderr[-2000:]
    assert "50万元" in ask.stdout and "〔1〕" in ask.stdout


def test_runtime_dependencies_leave_out_what_only_bench_and_tests_use():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {d.split(">")[0].split("=")[0].split("[")[0].split(";")[0].strip() for d in project["dependencies"]}
    assert not runtime & {"matplotlib", "python-docx", "psutil", "beautifulsoup4", "pytest", "ray", "playwright"}
    extras = project["optional-dependencies"]
    assert any(d.startswith("matplotlib") for d in extras["bench"])
    assert "policy-rag[bench,ray]" in extras["test"]


def test_a_missing_extra_is_named(monkeypatch, tmp_path):
    from rag.errors import MissingExtra
    from rag.evaluation.scaling_report import plot
    from rag.indexing.distributed import RayEmbedding

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed: importing it raises ImportError
    with pytest.raises(MissingExtra, match=r"pip install 'policy-rag\[bench\]'"):
        plot([], tmp_path / "scaling.png")
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtra, match=r"policy-rag\[ray\]") as caught:
        RayEmbedding(spec="e5", cache_dir=tmp_path).connect()
    assert caught.value.extra == "ray" and "可选依赖" in caught.value.zh
