"""The public API exactly as the README shows it, after importing every submodule (so no submodule can rebind
`rag.retrieve` or `rag.answer`), with `import rag` and with `from rag import …`."""
from __future__ import annotations

import importlib
import pkgutil
import shutil

import pytest

import rag
from conftest import SEEDS

pytestmark = pytest.mark.slow


def import_every_submodule() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(rag.__path__, "rag.") if m.name != "rag.__main__"]
    for name in names:
        importlib.import_module(name)
    return names


def test_public_names_survive_importing_every_submodule():
    before = {name: getattr(rag, name) for name in rag.__all__}
    assert len(import_every_submodule()) > 30
    for name, value in before.items():
        assert getattr(rag, name) is value, f"rag.{name} was rebound by a submodule import"
    assert callable(rag.retrieve) and callable(rag.answer) and callable(rag.build_index)


@pytest.fixture
def readme_folders(tmp_path, monkeypatch, real_index):
    docs = tmp_path / "seeds"
    shutil.copytree(SEEDS, docs)
    shutil.copytree(real_index, tmp_path / "index")  # so build_index below is the quick incremental one
    monkeypatch.chdir(tmp_path)  # the README's relative "seeds" and "index"
    monkeypatch.setenv("RAG_DOCS_DIR", str(docs))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    return docs


def test_readme_flow_with_import_rag(readme_folders):
    import_every_submodule()
    report = rag.build_index("seeds", "index")
    assert report.clauses == 144 and "144 clauses" in report.summary() and report.embedded == 0
    hits = rag.retrieve("静海区有效发明专利的目标是多少件？", k=5)
    assert len(hits) == 5 and any("350件" in h.text for h in hits)
    top = hits[0]
    assert top.label.startswith("《") and top.end > top.start and isinstance(top.departments, tuple)
    ans = rag.answer("唐山对新认定的国家级科技企业孵化器奖补多少？", llm="extractive")
    assert isinstance(ans, rag.Answer) and not ans.refused and "〔1〕" in ans.body
    assert ans.citations[0].number == 1 and "50万元" in ans.body and "50万元" in ans.citations[0].clause.text
    assert ans.citations[0].supports and "来源：" in ans.text


def test_readme_flow_with_from_import(readme_folders):
    import_every_submodule()
    from rag import answer, answer_stream, build_index, retrieve

    build_index("seeds", "index")
    assert retrieve("静海区有效发明专利的目标是多少件？", k=3)
    first = answer("静海区如何推动经纪人职称申报？", llm="extractive")
    follow = answer("那这项工作由谁负责？", history=[("静海区如何推动经纪人职称申报？", first.text)], llm="extractive")
    assert "区人社局" in follow.body
    pieces = list(answer_stream("唐山对新认定的国家级科技企业孵化器奖补多少？", llm="extractive"))
    assert isinstance(pieces[-1], rag.Answer) and "".join(pieces[:-1]).strip() == pieces[-1].body


def test_bad_question_is_a_typed_error(readme_folders):
    with pytest.raises(rag.QuestionError) as err:
        rag.retrieve("   ")
    assert err.value.kind == "empty" and isinstance(err.value, rag.RagError)
