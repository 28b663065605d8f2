"""Document facts (rag/ingest/facts.py): issuer, number, date, addressees and type read from each seed and from
small hand-made 公文, with spans into the original; masked values kept and marked; page dates never taken as issue
dates; documents.toml corrections win, are audited, and a bad file is a clear error."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.ingest.documents import load_document
from rag.ingest.corrections import read_corrections
from rag.ingest.facts import extract_facts
from conftest import SEEDS


def _facts(path: Path):
    doc = load_document(path)
    return doc, extract_facts(doc)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _spans_hold_their_values(doc, facts) -> None:
    from rag.text.normalize import strip_pinyin

    for name in ("issuer", "number", "date", "published", "addressees"):
        fact = getattr(facts, name)
        if fact is not None and fact.start >= 0:
            shown = strip_pinyin(doc.original[fact.start:fact.end]).replace("\n", "").replace(" ", "")
            assert shown[:3] == fact.value[:3] and shown[-1] == fact.value[-1], (name, fact, shown)


# -- the seeds ---------------------------------------------------------------------------------------------
def test_the_tianjin_notice_has_a_masked_number_and_date_under_its_signature():
    doc, f = _facts(SEEDS / "000_e4c543bcaf73ff4c.txt")
    assert f.issuer.value == "天津市人民政府" and f.issuer.how == "stated"
    assert f.number.masked and f.number.value.startswith("津政") and doc.original[f.number.start:f.number.end].startswith("津政")
    assert f.date.masked and f.date.value == "****年*月**日"
    assert f.addressees.value.startswith("各區人民政府") and f.doc_type.value == "通知"
    assert (f.region.value, f.level.value) == ("天津市", "市")


def test_a_site_copy_gives_its_published_date_and_source_not_an_issue_date():
    doc, f = _facts(SEEDS / "001_a008f9a6c582088b.txt")
    assert f.published.value == "2021-09-08" and doc.original[f.published.start:f.published.end] == "2021-09-08"
    assert f.date is None and f.number is None
    assert f.issuer.value == "静海区科技局" and f.issuer.how == "inferred"  # from the site's 来源 line
    assert f.doc_type.value == "方案" and f.level.value == "区县"


def test_a_reply_is_dated_at_its_end_and_addressed_to_the_deputy():
    doc, f = _facts(SEEDS / "002_3b8e7fd72f26c609.txt")
    assert f.date.value == "2019年7月5日" and doc.original[f.date.start:f.date.end] == "2019年7月5日"
    assert f.addressees.value == "刘智代表" and f.doc_type.value == "答复"
    assert f.issuer.value == "天津市科学技术局"  # its contact line


def test_upload_and_news_page_dates_are_not_issue_dates():
    _, upload = _facts(SEEDS / "003_184da36d701c505f.txt")
    assert upload.date is None and upload.published is None and upload.issuer is None
    assert any("上传时间" in n for n in upload.notes)
    doc, news = _facts(SEEDS / "004_11ab0b061efeda41.txt")
    assert news.date is None and news.published is None
    assert any("2022-06-09" in n for n in news.notes)
    assert news.issuer.value == "唐山市人民政府" and news.issuer.how == "inferred"
    assert doc.original[news.issuer.start:news.issuer.end] == "唐山市人民政府"


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_every_span_points_at_its_value(name):
    doc, facts = _facts(SEEDS / name)
    _spans_hold_their_values(doc, facts)


# -- hand-made 公文 -------------------------------------------------------------------------------------------
NOTICE = """某某市人民政府办公室关于印发某某市促进中小企业发展若干措施的通知
某政办发〔2023〕15号
各区县人民政府，市政府各部门：
《某某市促进中小企业发展若干措施》已经市政府同意，现印发给你们，请认真贯彻执行。
某某市人民政府办公室
2023年5月6日
一、加大财政支持。对新认定的专精特新企业给予20万元奖励。
本措施自印发之日起施行，《某某市支持中小企业发展的若干意见》（某政发〔2019〕8号）同时废止。
"""


def test_a_handmade_notice_gives_every_fact_and_ignores_a_quoted_number(tmp_path: Path):
    doc, f = _facts(_write(tmp_path, "notice.txt", NOTICE))
    assert f.number.value == "某政办发〔2023〕15号"  # not the abolished one quoted in the body
    assert f.issuer.value == "某某市人民政府办公室" and f.date.value == "2023年5月6日"
    assert f.addressees.value == "各区县人民政府，市政府各部门" and f.doc_type.value == "通知"
    _spans_hold_their_values(doc, f)


def test_a_flattened_copy_with_co_signers_at_its_end(tmp_path: Path):
    text = ("关于支持疫情防控有关税收政策的公告 为支持疫情防控工作，现就有关政策公告如下： 一、对相关企业免征增值税。 "
            "二、本公告自2020年1月1日起施行。 财政部 税务总局 2020年2月6日")
    _, f = _facts(_write(tmp_path, "flat.txt", text))
    assert f.issuer.value == "财政部、税务总局" and f.date.value == "2020年2月6日" and f.doc_type.value == "公告"


def test_a_copy_that_kept_html_entities_reads_them_as_characters(tmp_path: Path):
    """A page saved as text with its character references (「&ensp;」 between co-signers, 「&ldquo;」): they are read
    once, when the file is read, so no rule downstream needs to know them."""
    text = ("关于支持&ldquo;六稳&rdquo;工作有关税收政策的公告 为支持疫情防控工作，现就有关政策公告如下： "
            "一、对R&D费用加计扣除，详见a&para=1页面。 二、本公告自2020年1月1日起施行。 财政部&ensp;税务总局 2020年2月6日")
    doc, f = _facts(_write(tmp_path, "entities.txt", text))
    assert "“六稳”" in doc.original and "&ldquo;" not in doc.clean
    assert "R&D" in doc.original and "a&para=1" in doc.original  # only whole references ending in ";" are read
    assert f.issuer.value == "财政部、税务总局" and f.date.value == "2020年2月6日"
    _spans_hold_their_values(doc, f)


def test_a_text_without_any_facts_leaves_them_missing(tmp_path: Path):
    _, f = _facts(_write(tmp_path, "news.txt", "多地多举措保障生活必需品供应\n记者从商务部获悉，各地正在加快复工。（记者 李杰）"))
    assert f.missing == ("issuer", "number", "date") and f.doc_type is None


# -- documents.toml -------------------------------------------------------------------------------------------
def test_corrections_win_and_are_audited(docs_dir: Path, tmp_path: Path, fake_embedder):
    from rag.indexing.build import build_index
    from rag.indexing.store import load_index
    from rag.ingest.versions import read_audit

    (docs_dir / "documents.toml").write_text(
        '["000_e4c543bcaf73ff4c.txt"]\nnumber = "津政发〔2024〕12号"\ndate = "2024年9月30日"\n', encoding="utf-8")
    index = tmp_path / "index"
    report = build_index(docs_dir, index, embedder=fake_embedder)
    assert report.documents == 5 and "documents.toml" not in {n for n, _ in report.skipped}
    data = load_index(index)
    clause = next(sc.clause for sc in data.clauses if sc.clause.doc == "000_e4c543bcaf73ff4c.txt")
    assert clause.facts.number.value == "津政发〔2024〕12号" and clause.facts.number.how == "corrected"
    assert clause.facts.issuer.value == "天津市人民政府"  # not corrected: still the text's
    assert clause.to_dict()["facts"]["date"] == "2024年9月30日"
    entries = [e for e in read_audit(docs_dir) if e["action"] == "facts corrected"]
    assert len(entries) == 1 and entries[0]["documents"] == ["000_e4c543bcaf73ff4c.txt"]
    build_index(docs_dir, index, embedder=fake_embedder)  # unchanged file: not audited again
    assert len([e for e in read_audit(docs_dir) if e["action"] == "facts corrected"]) == 1
    from rag.indexing.store import current_generation

    stored = json.loads((current_generation(index) / "documents.json").read_text(encoding="utf-8"))
    assert "extracted" in stored["000_e4c543bcaf73ff4c.txt"]
    (docs_dir / "documents.toml").unlink()
    build_index(docs_dir, index, embedder=fake_embedder)
    assert [e["action"] for e in read_audit(docs_dir)][-1] == "facts corrections removed"
    clause = next(sc.clause for sc in load_index(index).clauses if sc.clause.doc == "000_e4c543bcaf73ff4c.txt")
    assert clause.facts.number.masked and clause.facts.number.how == "stated"  # back to the text's own


@pytest.mark.parametrize("content, message", [
    ('["a.txt"]\nnumber = ', "not valid TOML"),
    ('["a.txt"]\nsigner = "x"\n', "unknown fields"),
    ('number = "x"\n', "must be a table"),
])
def test_a_bad_documents_toml_is_a_clear_error(tmp_path: Path, content: str, message: str):
    (tmp_path / "documents.toml").write_text(content, encoding="utf-8")
    with pytest.raises(DocumentError, match=message):
        read_corrections(tmp_path)


@pytest.mark.parametrize("content, message", [
    ('"a"' + ".a" * 50_000 + " = 1\n", "dotted parts"),  # 100 KB: a TOML parser once took 9.6 GB on it
    ('["a.txt"]\nissuer = ' + "[" * 20_000 + "]" * 20_000 + "\n", "arrays are not used"),
    ('["a.txt"]\nissuer = ' + "{a=" * 5_000 + "1" + "}" * 5_000 + "\n", "inline tables"),
    ('["a.txt"]\nissuer = {a=1}\n', "inline tables"),
    ('["a.txt"]\nregion = true\n', "must be text"),
    ('["a.txt"]\nnumber = 12\n', "must be text"),
    ('["a.txt"]\nregion = ["天津", "河北"]\n', "arrays are not used"),
    ('[["a.txt"]]\nregion = "天津"\n', "arrays are not used"),
    ('["../seeds/a.txt"]\nregion = "天津"\n', "not a file name"),
    ('["a.txt"]\nmay_supersede = "yes"\n', "true or false"),
    ('["a.txt"]\nregion = "天津\n', "not closed"),
    ('["a.txt"]\nregion = """天津\n', "not closed"),
])
def test_a_hostile_documents_toml_is_refused_before_it_costs_anything(tmp_path: Path, content: str, message: str):
    import resource
    import time

    (tmp_path / "documents.toml").write_text(content, encoding="utf-8")
    started, peak = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DocumentError, match=message):
        read_corrections(tmp_path)
    assert time.perf_counter() - started < 5.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200 * 1024  # KB: under 200 MB more


def test_documents_toml_values_are_typed(tmp_path: Path):
    (tmp_path / "documents.toml").write_text(
        '# corrections\n["a.txt"]\ndate = 2024-09-30\nissuer = "某某市人民政府" # signed\n'
        '["b.v2.txt"]\nmay_supersede = true\n"title" = \'某某 "方案"\'\n', encoding="utf-8")
    corrections = read_corrections(tmp_path)
    assert corrections.facts == {"a.txt": {"date": "2024-09-30", "issuer": "某某市人民政府"},
                                 "b.v2.txt": {"title": '某某 "方案"'}}
    assert corrections.trusted == {"b.v2.txt"}
    assert corrections.unknown({"a.txt"}) and "b.v2.txt" in corrections.unknown({"a.txt"})[0]


def test_a_documents_toml_table_naming_no_document_is_a_build_warning(tmp_path: Path, docs_dir: Path, fake_embedder):
    from rag.indexing.build import build_index

    (docs_dir / "documents.toml").write_text('["missing.txt"]\nregion = "天津"\n', encoding="utf-8")
    report = build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    assert any("missing.txt" in w and "names no document" in w for w in report.warnings)


def test_an_oversized_documents_toml_is_refused_before_it_is_parsed(tmp_path: Path):
    (tmp_path / "documents.toml").write_bytes(b"#" * (2 << 20))
    with pytest.raises(DocumentError, match="larger than"):
        read_corrections(tmp_path)


# -- the hand-checked list (tests/facts_checked.jsonl: the seeds and 50 NCP documents drawn at random) ---------------
def _checked(tmp_path: Path, corpus: str) -> dict:
    from rag.config import Settings
    from rag.evaluation.facts_eval import run_checked_facts

    rows = [l for l in (SEEDS.parent / "tests" / "facts_checked.jsonl").read_text(encoding="utf-8").splitlines()
            if json.loads(l)["corpus"] == corpus]
    subset = tmp_path / f"checked-{corpus}.jsonl"
    subset.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return run_checked_facts(subset, Settings(cache_dir=tmp_path / "cache"))


def test_the_checked_seed_facts_are_all_extracted(tmp_path: Path):
    report = _checked(tmp_path, "seeds")
    assert report["precision"] == 1.0 and report["recall"] == 1.0, report["wrong"]


def test_the_checked_ncp_facts_meet_the_targets(tmp_path: Path):
    from rag.evaluation.external import NCP, is_external

    if not is_external(NCP):
        pytest.skip(f"{NCP} is absent (../shared is not beside this clone)")
    report = _checked(tmp_path, "ncp")
    assert report["documents"] == 50 and report["precision"] >= 0.95 and report["recall"] >= 0.9, report["wrong"]
