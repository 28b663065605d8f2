"""Loading and cleaning: real seeds, every supported format, legacy encodings, bad files."""
from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.ingest.cleaning import clean_text
from rag.ingest.documents import load_document, load_folder
from rag.text.normalize import covers, for_search, strip_pinyin
from conftest import SEEDS


def test_pinyin_artefacts_removed_but_traditional_kept():
    doc = load_document(SEEDS / "000_e4c543bcaf73ff4c.txt")
    assert "(guān)" not in doc.clean and "(zhuǎn)" not in doc.clean
    assert "關于印發" in doc.clean  # original script kept for display
    assert "关于印发" in for_search(doc.clean)


def test_sharing_site_boilerplate_and_page_breaks_repaired():
    doc = load_document(SEEDS / "003_184da36d701c505f.txt")
    for junk in ("上传人", "第1页 / 共11页", "展开阅读全文", "copyright", "优知文库", "猜你喜欢"):
        assert junk not in doc.clean
    # "高" at the end of page 3 and "新区管委会" at the start of page 4 join up again.
    assert "市政办、高新区管委会" in doc.clean
    assert "\n4、" not in doc.clean
    assert doc.title == "关于新时代深化科技创新体制机制改革加快科技成果转化应用体系建设行动方案"


def test_news_and_portal_headers_removed():
    tangshan = load_document(SEEDS / "004_11ab0b061efeda41.txt")
    assert "环渤海新闻网" not in tangshan.clean and "编辑: 刘威" not in tangshan.clean and "一周" not in tangshan.clean
    assert tangshan.title == "唐山市人民政府关于加快科技创新平台建设的实施方案"
    jinghai = load_document(SEEDS / "001_a008f9a6c582088b.txt")
    assert "浏览量" not in jinghai.clean and "发布时间" not in jinghai.clean
    reply = load_document(SEEDS / "002_3b8e7fd72f26c609.txt")
    assert "分享到" not in reply.clean
    assert "刘智代表" in reply.title


def test_clean_offsets_point_into_the_original():
    doc = load_document(SEEDS / "000_e4c543bcaf73ff4c.txt")
    for i in range(0, len(doc.clean), 97):
        assert doc.original[doc.offsets[i]] == doc.clean[i]


def test_clean_text_only_deletes():
    original = "關(guān)于印發(fā)\n上一页\n正文。"
    clean, offsets = clean_text(original)
    assert clean == "關于印發\n正文。"
    assert [original[o] for o in offsets] == list(clean)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "big5", "utf-8-sig", "utf-8"])
def test_legacy_chinese_encodings_are_detected(tmp_path: Path, encoding: str):
    text = "一、总体要求\n（一）工作目标。到2025年，全市高新技术企业数量达到500家（市科技局负责）。\n"
    if encoding == "big5":
        text = "一、總體要求\n（一）工作目標。到2025年，全市高新技術企業數量達到500家（市科技局負責）。\n"
    path = tmp_path / f"doc_{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    doc = load_document(path)
    assert doc.original.strip() == text.strip()


def test_html_docx_pdf_and_md_load(tmp_path: Path):
    import docx

    (tmp_path / "a.html").write_text(
        "<html><head><meta charset='utf-8'><script>var x=1;</script></head><body><nav>首页</nav>"
        "<h1>某市促进创新办法</h1><p>一、支持企业研发。对研发投入给予补助（市科技局负责）。</p></body></html>",
        encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("某区人才办法")
    d.add_paragraph("一、引进人才。给予安家补贴（区人社局负责）。")
    d.save(tmp_path / "b.docx")
    (tmp_path / "c.pdf").write_bytes(_tiny_pdf("1. Support research. Grants go to firms that invest in R&D."))
    (tmp_path / "d.md").write_text("# 标题\n\n一、总则。本办法适用于全市。\n", encoding="utf-8")
    report = load_folder(tmp_path)
    by_name = {doc.name: doc for doc in report.documents}
    assert "对研发投入给予补助" in by_name["a.html"].clean and "var x" not in by_name["a.html"].clean
    assert "给予安家补贴" in by_name["b.docx"].clean
    assert "Grants go to firms" in by_name["c.pdf"].clean
    assert "本办法适用于全市" in by_name["d.md"].clean
    assert report.skipped == ()


def test_bad_files_are_skipped_with_named_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    (tmp_path / "good.txt").write_text("一、总则。本办法适用于全市各类企业和单位。", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.docx").write_bytes(b"not a zip file at all")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    with caplog.at_level(logging.WARNING):
        report = load_folder(tmp_path)
    assert [d.name for d in report.documents] == ["good.txt"]
    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "broken.docx", "image.png"}
    assert "empty" in skipped["empty.txt"] and "unsupported" in skipped["image.png"]
    assert "broken.docx" in caplog.text


def test_missing_or_empty_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DocumentError, match="does not exist"):
        load_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DocumentError, match="is empty"):
        load_folder(tmp_path / "empty")


def test_gold_quote_normalisation_matches_seed_text():
    raw = (SEEDS / "000_e4c543bcaf73ff4c.txt").read_text(encoding="utf-8")
    assert covers(raw, "每年以“先使用后付費”模式轉(zhuǎn)化高校")
    assert covers(strip_pinyin(raw), "每年以先使用后付费模式转化高校")


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF with Helvetica text, written by hand."""
    stream = f"BT /F1 12 Tf 40 700 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
