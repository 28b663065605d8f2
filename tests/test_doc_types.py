"""Document types have one home (rag/text/doc_types.py): the facts, the page's type filter and its example
questions read the same vocabulary."""
from __future__ import annotations

import pytest

from rag.text.doc_types import DOC_KINDS, DOC_TYPES, TITLE_TYPE, TYPE_KIND


@pytest.mark.parametrize(
    "title, kind",
    [("天津市科技创新三年行动计划", "行动计划"), ("关于印发静海区实施方案", "实施方案"), ("某某办法", "办法"),
     ("关于做好疫情防控工作的通知（试行）", None)],
)
def test_a_title_ends_with_its_own_type(title, kind):
    m = TITLE_TYPE.search(title)
    assert (m.group(1) if m else None) == kind


def test_kinds_are_the_types_folded_once():
    assert set(TYPE_KIND) <= set(DOC_TYPES) and set(TYPE_KIND.values()) <= set(DOC_KINDS)
    assert len(DOC_KINDS) == len(set(DOC_KINDS)) and "工作方案" not in DOC_KINDS and "方案" in DOC_KINDS


def test_the_page_and_the_facts_read_the_same_vocabulary():
    from rag.ingest import facts
    from rag.ui import examples, layout

    assert facts.DOC_TYPES is DOC_TYPES and layout.DOC_KINDS is DOC_KINDS and examples.TITLE_TYPE is TITLE_TYPE


def test_one_shape_of_document_number_for_the_facts_and_the_in_force_claims():
    import re

    from rag.ingest.facts import NUMBER
    from rag.ingest.in_force import NUMBER_REF
    from rag.text.doc_types import doc_number

    written = ["津政发〔2020〕3号", "国办发[2020] 6号", "津政發〔2020〕3號", "津政发 〔2020〕 3 号"]
    assert all(re.fullmatch(doc_number(), n) for n in written)
    assert all(NUMBER_REF.fullmatch(n) for n in written)
    # the facts also read written and masked digits (a copy that hides its number still has one) …
    assert NUMBER.search("津政发〔二〇二〇〕三号") and NUMBER.search("津政發〔****〕*號")
    # … a claim in prose never names a document by a masked number
    assert not NUMBER_REF.search("《某办法》（津政发〔****〕*号）同时废止")
    assert not re.search(doc_number(), "津政发〔2020〕号") and not re.search(doc_number(), "〔2020〕3号")
