"""A document's own facts, read from its text by 公文 conventions: who issued it (发文机关), its number (发文字号),
its date (成文日期, or a stated 发布日期), whom it is addressed to (主送机关), its type (通知/方案/意见/答复/…) and
the issuer's region and level.

Every fact keeps where it came from (a span of the original text, or the title, or documents.toml) and how it
was established: "stated" (the text says it in its place: a number line, a signature above a date, a labelled
field), "inferred" (read from the title or a site's 来源 line), "corrected" (documents.toml). A masked value
(「津政发〔****〕*号」) is kept and marked masked: the document has a number, the copy hides it. What cannot be
established is left out and named in `missing`; nothing is guessed from outside the text.

Dates a website puts around a copy (上传时间, a news page's time stamp, 浏览量 lines) are page dates, never
issue dates: only a date under a signature, or one the text labels as 成文/发布/印发, counts.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..text.normalize import to_simplified
from ..text.masks import is_masked
from ..types import ISO_DATE, DocumentFacts, Fact

FACTS_VERSION = 5  # bump when the rules change: an incremental build then reads every document's facts again
HEAD_CHARS = 800  # the head of a 公文 (title, number, addressees, signature of a 印发 notice) lies within this
TAIL_CHARS = 400  # the signature and date at the end lie within this

DOC_TYPES = (
    "实施细则",
    "实施方案",
    "工作方案",
    "行动方案",
    "行动计划",
    "通知",
    "方案",
    "意见",
    "答复",
    "办法",
    "规定",
    "决定",
    "公告",
    "通告",
    "通报",
    "批复",
    "函",
    "报告",
    "细则",
    "规划",
    "计划",
    "纲要",
    "指南",
    "措施",
    "条例",
    "意见书",
    "须知",
)
# The document kind each type name belongs to (a 工作方案 is a 方案).
TYPE_KIND = {
    "实施细则": "细则",
    "实施方案": "方案",
    "工作方案": "方案",
    "行动方案": "方案",
    "行动计划": "计划",
    "意见书": "意见",
}
# The kinds a document type is reported as (the page's type filter offers these).
DOC_KINDS = tuple(dict.fromkeys(TYPE_KIND.get(t, t) for t in DOC_TYPES))
ORG_SUFFIX = (
    "人民政府",
    "政府办公厅",
    "分行",
    "银行",
    "办公厅",
    "办公室",
    "委员会",
    "管委会",
    "管理委员会",
    "指挥部",
    "领导小组",
    "工作组",
    "税务局",
    "局",
    "厅",
    "委",
    "部",
    "署",
    "院",
    "总局",
    "中心",
    "政府",
    "联防联控机制",
)
_ORG = "|".join(sorted(map(re.escape, ORG_SUFFIX), key=len, reverse=True))
DIGIT = r"[0-9０-９〇零一二三四五六七八九*＊]"
# A document's own number stands on its own line (or, in flattened copies, between spaces) in the head; one quoted
# in prose ("…发布了[2020]6号", "（通政发〔2020〕3号）") is another document's.
NUMBER = re.compile(
    rf"(?:^|(?<=[\s\u3000])|(?<=通知)|(?<=意见)|(?<=方案)|(?<=决定)|(?<=公告)|(?<=通告)|(?<=办法))[\u4e00-\u9fff]{{1,10}}\s*[〔\[［【（(﹝]\s*{DIGIT}{{4}}\s*[〕\]］】）)﹞]\s*{DIGIT}{{1,5}}\s*[号號]"
)
DATE = re.compile(rf"({DIGIT}{{4}})\s*年\s*({DIGIT}{{1,2}})\s*月\s*({DIGIT}{{1,2}})\s*日")
# Labelled fields of a government site's head ("发布机构：…", "成文日期：…"); 来源 names the publisher, inferred.
LABELS = {
    "issuer": (r"发文机关|发布机构|发文单位|制发机关", "stated"),
    "source": (r"来源|信息来源|文章来源", "inferred"),
    "number": (r"发文字号|文号", "stated"),
    "date": (r"成文日期|发文日期|印发日期", "stated"),
    "published": (r"发布日期|发布时间|公开日期", "stated"),
}
LONE_DATE = re.compile(
    rf"[。！]\s+({DIGIT}{{4}}年{DIGIT}{{1,2}}月{DIGIT}{{1,2}}日)\s*(?:[（(]此件[^）)]{{0,8}}[）)])?(?=\s|$)"
)
PAGE_DATE_LABELS = re.compile(r"上传时间|浏览|阅读|点击|更新时间|打印|字体")
ADDRESSEE = re.compile(
    r"^(各[^：:\n]{1,60}|[^：:\n]{1,30}(?:代表|委员|同志|先生|女士)|[^：:\n，。]{2,60}(?:人民政府|局|厅|委|办|部门|单位))[：:]\s*$"
)
PLACE = re.compile(r"^(?:中共)?(.{1,12}?(?:自治区|特别行政区|省|自治州|市|地区|盟|自治县|县|区|旗))")
LEVELS = (
    ("国务院", "国家"),
    ("国家", "国家"),
    ("中华人民共和国", "国家"),
    ("部", "国家"),
    ("自治区", "省"),
    ("省", "省"),
    ("自治州", "市"),
    ("市", "市"),
    ("盟", "市"),
    ("县", "区县"),
    ("区", "区县"),
    ("旗", "区县"),
)


def _is_masked(text: str) -> bool:
    return is_masked(text) or "＊" in text  # copies also mask with the full-width star


def _lines(text: str, start: int, end: int):
    """(line, start offset) of the non-empty lines of text[start:end]."""
    pos = start
    for line in text[start:end].split("\n"):
        if line.strip():
            yield line, pos
        pos += len(line) + 1


def _fact(doc, start: int, end: int, how: str = "stated") -> Fact:
    value = doc.clean[start:end].strip()
    lead = len(doc.clean[start:end]) - len(doc.clean[start:end].lstrip())
    s, e = doc.span(start + lead, start + lead + len(value))
    if re.search(r"(?:&ensp;|&nbsp;|[\s\u3000])", value):  # co-signers, or one name broken over lines
        parts = [p for p in re.split(r"(?:&ensp;|&nbsp;|[\s\u3000])+", value) if p]
        whole = all(re.search(rf"(?:{_ORG})$", p) for p in parts)
        value = "、".join(parts) if whole else "".join(parts)
    return Fact(value, s, e, how, _is_masked(value))


def _org_at_end(segment: str) -> tuple[int, int] | None:
    """The organisation name that ends `segment` (a signature), as (start, end) within it."""
    segment = segment.rstrip()
    m = re.search(rf"([\u4e00-\u9fff（）()]{{2,40}}?(?:{_ORG}))$", segment)
    if not m:
        return None
    # A signature is its own line or chunk: cut at the last separator before the name.
    start = max(segment.rfind(sep, 0, m.end()) for sep in (" ", "\u3000", "。", "\n", "，", ",", "；", ":", "：")) + 1
    name = segment[start : m.end()].strip()
    if len(name) < 2 or len(name) > 40:
        return None
    return m.end() - len(name), m.end()


def _joined_signature(before: str, org: tuple[int, int]) -> tuple[int, int]:
    """A signature broken over two chunks ("…肺炎疫情 防控工作领导小组指挥部") is one name: take the chunk before
    when it has no punctuation and the whole stays a name's length."""
    start = org[0]
    while True:  # co-signers ("税务总局 财政部", "财政部&ensp;税务总局"): each a whole name before the next
        head = re.sub(r"(?:&ensp;|&nbsp;|[\s\u3000])+$", "", before[:start])
        m = re.search(rf"(?:^|(?<=[\s\u3000;]))([\u4e00-\u9fff]{{2,20}}(?:{_ORG}))$", head)
        if not m or org[1] - m.start(1) > 60:
            break
        start = m.start(1)
    if start != org[0]:
        return start, org[1]
    head = before[: org[0]].rstrip(" \u3000\n")
    m = re.search(r"([\u4e00-\u9fff]{2,30})$", head)
    if (
        m
        and org[1] - m.start(1) <= 40
        and not re.search(rf"(?:{_ORG})$", m.group(1))
        and re.search(r"(?:自治区|省|市|县|区|国家|中共)", m.group(1)[:12])
    ):
        return m.start(1), org[1]
    return org


def extract_facts(doc) -> DocumentFacts:  # noqa: C901 (known debt, issue 30)
    """The facts `doc` (a loaded Document) states about itself."""
    clean = doc.clean
    head_end = min(len(clean), HEAD_CHARS)
    tail_start = max(head_end, len(clean) - TAIL_CHARS)
    found: dict[str, Fact] = {}
    notes: list[str] = []

    # Labelled fields in the head of the original (government sites; cleaning drops these lines from `clean`):
    # 发布机构：…, 成文日期：…, 来源:…; a page's own time stamps (上传时间, a news line's date) are noted, not used.
    original = doc.original
    for line, pos in _lines(original, 0, min(len(original), HEAD_CHARS)):
        body = line.strip().lstrip("-•·* ").strip()
        offset = pos + line.find(body) if body else pos
        simple = to_simplified(body)
        for key, (labels, how) in LABELS.items():
            m = re.match(rf"(?:{labels})\s*[:：]\s*(\S.{{0,60}})$", simple)
            if m and key not in found:
                value = body[m.start(1) : m.end(1)].strip()
                found[key] = Fact(value, offset + m.start(1), offset + m.start(1) + len(value), how, _is_masked(value))
        if (PAGE_DATE_LABELS.search(simple) or "|" in simple) and (DATE.search(simple) or ISO_DATE.search(simple)):
            notes.append(f"page date, not an issue date: {body[:40]}")

    # The masthead (版头, 发文机关标志): 「贵阳市人民政府办公厅文件」 names the issuer.
    masthead = re.search(
        rf"(?:^|(?<=[\s\u3000]))([\u4e00-\u9fff]{{2,40}}?(?:{_ORG}))文件(?=[\s\u3000]|$)", clean[:head_end], re.M
    )
    if masthead and "issuer" not in found:
        found["issuer"] = _fact(doc, masthead.start(1), masthead.end(1))

    # The number line.
    m = NUMBER.search(clean, 0, head_end)
    if m and "number" not in found and not re.search(r"[了的据照见]", m.group(0)[:4]):
        found["number"] = _fact(doc, m.start(), m.end())

    # A forwarding notice (「X转发Y的通知」): X issued it; the signature at the end is the forwarded original's.
    forwarder = re.match(rf"^([\u4e00-\u9fff]{{2,30}}?(?:{_ORG}))(?:关于)?转发", to_simplified(doc.title or ""))
    forwarded = bool(forwarder) and "issuer" not in found
    labelled_date = found.get("date")
    if forwarded:
        found["issuer"] = _locate(doc, (doc.title or "")[: forwarder.end(1)])
    # Signature + date: a date right under (or after) an organisation name, in the head (印发 notices) or the tail.
    for region_start, region_end in ((tail_start, len(clean)), (0, head_end)):
        if "date" in found and "issuer" in found:
            break
        for dm in reversed(list(DATE.finditer(clean, region_start, region_end))):
            end = dm.start()
            while end > 0 and clean[end - 1].isspace():  # signatures padded with any kind of space
                end -= 1
            before = clean[max(0, end - 60) : end]
            org = _org_at_end(before.rstrip(" \u3000\n"))
            if org is None:
                continue
            base = end - len(before)
            org = _joined_signature(before, org)
            if "date" not in found:
                found["date"] = _fact(doc, dm.start(), dm.end())
            if "issuer" not in found:
                found["issuer"] = _fact(doc, base + org[0], base + org[1])
            break
    # A date standing alone after the last sentence (a 印发 notice's head, a copy that dropped its signature).
    if "date" not in found:
        for region_start, region_end in ((tail_start, len(clean)), (0, head_end)):
            m = LONE_DATE.search(clean, region_start, region_end)
            if m:
                found["date"] = _fact(doc, m.start(1), m.end(1))
                break
    # A reply's date stands alone on the last lines, its office in a contact line below ("联系单位").
    if "date" not in found:
        for line, pos in _lines(clean, tail_start, len(clean)):
            dm = DATE.fullmatch(line.strip())
            if dm:
                found["date"] = _fact(
                    doc, pos + line.find(dm.group(0)), pos + line.find(dm.group(0)) + len(dm.group(0))
                )
    contact = re.search(r"联系单位[^:：]*[:：]\s*([\u4e00-\u9fff]{2,30}?(?:" + _ORG + "))", clean[tail_start:])
    if contact and "issuer" not in found:
        found["issuer"] = _fact(doc, tail_start + contact.start(1), tail_start + contact.end(1), "inferred")

    # Addressees: a line ending with a colon in the head, before the body starts.
    for line, pos in _lines(clean, 0, head_end):
        if ADDRESSEE.match(line.strip()):
            body = line.strip().rstrip("：:").strip()
            found["addressees"] = _fact(doc, pos + line.find(body), pos + line.find(body) + len(body))
            break

    title = doc.title or ""
    if not re.search(r"[\u4e00-\u9fff]", title):  # the title guess fell back to the file name
        title = _head_title(clean) or title
    found["title"] = Fact(title, how="inferred")
    if "issuer" not in found:
        m = re.match(rf"^([\u4e00-\u9fff]{{2,30}}?(?:{_ORG}))(?:关于|印发|对)", to_simplified(title))
        if m and not title.startswith("转发"):  # a forwarded document's title names the original issuer
            found["issuer"] = _locate(doc, title[: m.end(1)])
        elif "source" in found:
            src = found["source"]
            found["issuer"] = replace(src, how="inferred")
            notes.append("issuer taken from the site's 来源 line")
    found.pop("source", None)
    if forwarded:  # a date read from the text belongs to the forwarded original; only a labelled one stays
        found.pop("date", None)
        if labelled_date is not None:
            found["date"] = labelled_date
    doc_type = _doc_type(title, found) or _doc_type(_head_title(clean), found)
    if doc_type:
        found["doc_type"] = doc_type
    issuer = found.get("issuer")
    if issuer is not None:
        region, level = _region_level(to_simplified(issuer.value))
        if region:
            found["region"] = Fact(
                region, issuer.start, issuer.start + len(region) if issuer.start >= 0 else -1, "inferred"
            )
        if level:
            found["level"] = Fact(level, how="inferred")
    return DocumentFacts(**found, notes=tuple(notes))


def _locate(doc, value: str, how: str = "inferred") -> Fact:
    """A fact read from the title, with the span of its first appearance in the head of the original."""
    at = doc.original.find(value, 0, HEAD_CHARS)
    return Fact(value, at, at + len(value) if at >= 0 else -1, how, _is_masked(value))


def _head_title(clean: str) -> str:
    """A flattened copy's title: its text up to the first 的通知/的意见/… (within the first 100 characters)."""
    m = re.search(rf"^.{{4,100}}?的(?:{'|'.join(DOC_TYPES)})", clean[:120].replace("\n", ""))
    return m.group(0) if m else ""


def _doc_type(title: str, found: dict[str, Fact]) -> Fact | None:
    simple = to_simplified(title).rstrip("）)】」』 ")
    for name in DOC_TYPES:
        if simple.endswith(name) or re.search(rf"{name}[（(][^）)]*[）)]$", simple):
            return Fact(TYPE_KIND.get(name, name), how="inferred")
    addressed = found.get("addressees")
    if addressed is not None and re.search(r"代表|委员$", addressed.value):
        return Fact("答复", how="inferred")
    return None


def _region_level(issuer: str) -> tuple[str, str]:
    issuer = re.sub(r"^(?:国家税务总局|中国人民银行|中共)", "", issuer) or issuer  # vertical offices: the place follows
    m = PLACE.match(issuer)
    region = m.group(1) if m else ""
    level = ""
    for marker, name in LEVELS:
        if region.endswith(marker) or (not region and issuer.startswith(marker)):
            level = name
            break
    if not region and issuer.startswith(("国务院", "国家", "中华人民共和国")):
        level = "国家"
    return region, level
