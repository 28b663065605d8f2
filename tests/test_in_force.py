"""Is a document still in force (rag/ingest/in_force.py)? Hand-made 公文: one abolishing another by title and by
number, two versions of one document, a validity period that has passed; the build marks them, citations say so,
and RAG_SEARCH_SUPERSEDED=0 leaves them out of the search."""
from __future__ import annotations

from datetime import date
from pathlib import Path


from rag.ingest.analysis import analyse_bytes
from rag.ingest.in_force import expiry, read_claims, standing, superseded

OLD = """某某市人民政府关于支持中小企业发展的若干意见
某政发〔2019〕8号
各区县人民政府，市政府各部门：
一、对新认定的专精特新企业给予10万元奖励。
某某市人民政府
2019年3月1日
"""
NEW = """某某市人民政府关于促进中小企业发展的若干措施
某政发〔2023〕15号
各区县人民政府，市政府各部门：
一、对新认定的专精特新企业给予20万元奖励。
二、本措施自印发之日起施行，《某某市人民政府关于支持中小企业发展的若干意见》（某政发〔2019〕8号）同时废止。
某某市人民政府
2023年5月6日
"""
PLAN_2020 = """某某区科技创新工作方案
某区科发〔2020〕3号
一、到2022年，高新技术企业达到50家。
某某区科学技术局
2020年4月1日
"""
PLAN_2022 = """某某区科技创新工作方案
某区科发〔2022〕9号
一、到2025年，高新技术企业达到120家。
某某区科学技术局
2022年4月1日
"""
TEMPORARY = """某某县关于疫情期间减免租金的通知
各乡镇人民政府：
一、对承租县属国有房屋的企业减免三个月租金。
本通知有效期为一年。
某某县人民政府
2020年2月10日
"""


def _docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in (("old.txt", OLD), ("new.txt", NEW), ("plan2020.txt", PLAN_2020), ("plan2022.txt", PLAN_2022),
                       ("temporary.txt", TEMPORARY)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _analysed(folder: Path):
    return {p.name: analyse_bytes(p.name, p.read_bytes()) for p in sorted(folder.glob("*.txt"))}


def _judged(folder: Path, today: date = date(2026, 12, 1), trusted: frozenset[str] = frozenset()):
    return superseded(_effects(folder, today, trusted))


def _effects(folder: Path, today: date = date(2026, 12, 1), trusted: frozenset[str] = frozenset()):
    return standing({n: (a.facts, a.claims) for n, a in _analysed(folder).items()}, trusted, today)


def test_abolished_replaced_and_expired_documents_are_marked_with_evidence(tmp_path: Path):
    judged = _judged(_docs(tmp_path))
    assert set(judged) == {"old.txt", "plan2020.txt", "temporary.txt"}
    assert "废止" in judged["old.txt"].value and "某政发〔2019〕8号" in judged["old.txt"].value
    assert "较新版本" in judged["plan2020.txt"].value and "2022-04-01" in judged["plan2020.txt"].value
    assert "已过有效期（至2021-02-10）" == judged["temporary.txt"].value


def test_a_validity_period_not_yet_over_keeps_the_document_in_force(tmp_path: Path):
    judged = _judged(_docs(tmp_path), today=date(2020, 6, 1))
    assert "temporary.txt" not in judged
    doc = analyse_bytes("temporary.txt", (tmp_path / "docs" / "temporary.txt").read_bytes())
    assert expiry(doc.facts, doc.claims) == "2021-02-10"


def test_citations_say_so_and_the_setting_leaves_them_out(tmp_path: Path, fake_embedder):
    from rag.config import Settings
    from rag.session import Session

    folder = _docs(tmp_path)
    settings = Settings(docs_dir=folder, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache",
                        llm="extractive", min_relevance=0.0)
    session = Session(settings, embedder=fake_embedder)
    session.build()
    hits = session.retrieve("专精特新企业奖励", 5)
    old = [h for h in hits if h.doc == "old.txt"]
    assert old and old[0].facts.superseded is not None and "废止" in old[0].facts.line()
    from rag.types import Answer, Citation

    cited = Answer(question="q", standalone_question="q", body="……〔1〕", citations=(Citation(1, old[0].clause, ()),),
                   hits=tuple(hits), refused=False, backend="extractive")
    assert f"{old[0].label}（某某市人民政府 · 某政发〔2019〕8号 · 2019年3月1日 · ⚠ 已由" in cited.text
    strict = Session(settings.with_(search_superseded=False), embedder=fake_embedder)
    assert all(h.doc not in {"old.txt", "plan2020.txt", "temporary.txt"} for h in strict.retrieve("专精特新企业奖励", 10))
    ans = list(strict.answerer("extractive").stream("对新认定的专精特新企业奖励多少？"))[-1]
    assert not ans.refused and "20万元" in ans.body and all(c.doc == "new.txt" for c in ans.citations)


# -- hostile round three: linear rules, trust, and every effect shown -------------------------------------------------
def _long_line(unit: str, chars: int) -> str:
    return "关于企业补贴的通知\n" + (unit * (chars // len(unit) + 1))[:chars]


def test_standing_claims_of_an_80k_character_line_are_read_in_linear_time():
    import time

    for unit in ("政策补贴标准企业创新支持", "政策补贴同时废止企业支持", "《关于补贴的通知》停止执行，"):
        text = _long_line(unit, 80_000)
        started = time.perf_counter()
        claims = read_claims(text)
        # The old rule rescanned the line from every position: 52 s for this line; linear reading takes milliseconds.
        assert time.perf_counter() - started < 2.0, unit
        assert len(claims.abolishes) <= 50


def test_every_rule_of_the_analysis_reads_an_80k_character_line_in_bounded_time():
    import time

    for unit in ("政策补贴标准企业创新支持", "一、政策补贴（一）标准", "牵头单位：市科技局配合", "2020年1月1日12345号"):
        started = time.perf_counter()
        analyse_bytes("x.txt", _long_line(unit, 80_000).encode("utf-8"))
        assert time.perf_counter() - started < 10.0, unit


MEETING = """关于会议纪要的通知
一、会议事项
（一）会议讨论了若干事项，与会人员认为《某某市人民政府关于支持中小企业发展的若干意见》不再执行，请各单位知悉。
某某市某某协会
2024年1月5日
"""
IMPOSTOR_VERSION = """某某区科技创新工作方案
一、到2030年，高新技术企业达到1家。
某某区某某服务中心
2024年4月1日
"""


def _hostile(tmp_path: Path) -> Path:
    folder = _docs(tmp_path)
    (folder / "meeting.txt").write_text(MEETING, encoding="utf-8")
    (folder / "impostor.txt").write_text(IMPOSTOR_VERSION, encoding="utf-8")
    return folder


def test_a_document_of_another_issuer_cannot_abolish_or_replace_one(tmp_path: Path):
    effects = _effects(_hostile(tmp_path))
    applied = {(e.target, e.by) for e in effects if e.applied}
    pending = {(e.target, e.by): e for e in effects if not e.applied}
    assert ("old.txt", "new.txt") in applied  # the same issuer abolishes its own document
    assert ("plan2020.txt", "plan2022.txt") in applied
    assert ("old.txt", "meeting.txt") in pending and "发文机关" in pending["old.txt", "meeting.txt"].reason
    assert ("plan2022.txt", "impostor.txt") in pending  # a "newer version" from another issuer
    assert "plan2022.txt" not in superseded(effects)


def test_an_administrator_can_trust_a_document_to_change_others(tmp_path: Path):
    effects = _effects(_hostile(tmp_path), trusted=frozenset({"impostor.txt"}))
    assert any(e.target == "plan2022.txt" and e.by == "impostor.txt" and e.applied for e in effects)


def test_every_standing_effect_is_reported_audited_and_shown(tmp_path: Path, fake_embedder):
    from rag.config import Settings
    from rag.ingest.versions import read_audit
    from rag.session import Session
    from rag.ui.views import documents_html

    folder = _docs(tmp_path)
    settings = Settings(docs_dir=folder, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache",
                        llm="extractive", min_relevance=0.0, search_superseded=False)
    session = Session(settings, embedder=fake_embedder)
    session.build()
    before = list(session.answerer("extractive").stream("对新认定的专精特新企业奖励多少？"))[-1]
    (folder / "meeting.txt").write_text(MEETING, encoding="utf-8")
    report = session.build()
    assert any("old.txt" in line and "未采纳" in line for line in report.standing)
    assert any(e["action"] == "standing claim not applied" and e["document"] == "old.txt" and e["by"] == "meeting.txt"
               for e in read_audit(folder))
    panel = documents_html(session.status())
    assert "未采纳 meeting.txt" in panel
    hits = session.retrieve("专精特新企业奖励", 10)
    old = [h for h in hits if h.doc == "old.txt"]
    assert old == [] and before.citations  # old.txt was abolished by new.txt (same issuer) before and after
    # The unchanged second build reports nothing new and audits nothing more.
    count = len(read_audit(folder))
    assert session.build().standing == () and len(read_audit(folder)) == count
    (folder / "documents.toml").write_text('["meeting.txt"]\nmay_supersede = true\n', encoding="utf-8")
    report = session.build()
    assert not report.standing or all("meeting.txt" not in line or "未采纳" not in line for line in report.standing)


def test_a_trusted_abolition_takes_the_document_out_and_says_so(tmp_path: Path, fake_embedder):
    from rag.config import Settings
    from rag.ingest.versions import read_audit
    from rag.session import Session

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "old.txt").write_text(OLD, encoding="utf-8")
    settings = Settings(docs_dir=folder, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache",
                        llm="extractive", min_relevance=0.0, search_superseded=False)
    session = Session(settings, embedder=fake_embedder)
    session.build()
    (folder / "new.txt").write_text(NEW, encoding="utf-8")
    report = session.build()
    assert any(line.startswith("old.txt：已由") for line in report.standing)
    assert any(e["action"] == "standing changed" and e["document"] == "old.txt" for e in read_audit(folder))
    (folder / "new.txt").unlink()
    report = session.build()
    assert any("old.txt" in line and "恢复为有效" in line for line in report.standing)
