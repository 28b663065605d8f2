"""HTML for the chat page: answer text with clickable 〔n〕 markers, source cards, the documents table."""

from __future__ import annotations

import html
import re

from ..text.markers import SHOWN_MARKER
from ..text.normalize import for_search
from ..types import FACT_LABELS, Answer, Clause, Hit

CONTEXT_CHARS = 400
STREAMING_CURSOR = " ▌"


# Characters the chat's Markdown renderer acts on ("[x](javascript:…)" would be a link, "**" bold): written as
# character references, which Markdown shows as the characters and never parses.
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        "\n": "<br>",
        **{ch: f"&#{ord(ch)};" for ch in "[]()*_`~#|\\!"},
    }
)


def escape_text(text: str) -> str:
    """Any user- or document-supplied text as HTML for the chat or a panel, in one pass: HTML-escaped, Markdown
    syntax made inert, line breaks kept."""
    return text.translate(_ESCAPES)


def linkify_markers(escaped: str) -> str:
    """〔n〕 in already escaped text → a link that scrolls to source card n (handled by the page script)."""
    return SHOWN_MARKER.sub(r'<a class="cite" href="#src-\1" data-src="\1">〔\1〕</a>', escaped)


def streaming_html(shown: str) -> str:
    """The answer so far, while it streams."""
    return linkify_markers(escape_text(shown)) + STREAMING_CURSOR


# With a model backend the page shows two states: the verified quote at once, then the model's answer if it verifies.
QUOTE_LABEL = "原文摘录"
ANSWER_LABEL = "回答"
PENDING = "模型正在组织回答，核实后显示在原文之前…"


def _label(text: str) -> str:
    return f"<div class='state'>{text}</div>"


def quoted_html(quote: str, model_so_far: str = "", waiting: str = "") -> str:
    """The verified quote on screen while the model writes (its verified text so far, or its place in line)."""
    parts = [_label(QUOTE_LABEL), f"<div class='quote'>{linkify_markers(escape_text(quote))}</div>"]
    if model_so_far.strip():
        parts += [_label(f"{ANSWER_LABEL}（生成中）"), linkify_markers(escape_text(model_so_far)) + STREAMING_CURSOR]
    else:
        parts.append(waiting or f"<span class='note pending'>{PENDING}</span>")
    return "".join(parts)


def answer_html(ans: Answer, labelled: bool = False, answer_id: str = "") -> str:
    """The chat message for a finished answer (sources are listed in the panel, not repeated here). `labelled`
    (a model backend was chosen): say whether the body is the model's verified answer or the quote that stayed.
    `answer_id` (hex, from the feedback store) marks the message so that 👍/👎 on it name the answer."""
    body = escape_text(ans.body)
    parts = (
        [_label(ANSWER_LABEL if ans.backend != "extractive" else QUOTE_LABEL)] if labelled and not ans.refused else []
    )
    if ans.extra_note:
        parts.append(f"<span class='note'>{escape_text(ans.extra_note)}</span>")
    parts.append(linkify_markers(body))
    if ans.related:
        parts.append("<br><span class='note'>右侧列出了可能相关的条款。</span>")
    html_text = "<br>".join(parts)
    if answer_id and ANSWER_ID.fullmatch(answer_id):
        html_text = f"<div class='answer' data-answer-id='{answer_id}'>{html_text}</div>"
    return html_text


# The id a finished answer's message carries for feedback (a uuid4 in hex), and how it is read back from it.
ANSWER_ID = re.compile(r"[0-9a-f]{32}")
ANSWER_ID_IN_MESSAGE = re.compile(r"data-answer-id='([0-9a-f]{32})'")


def answer_id_of(message: object) -> str:
    """The answer id a chat message carries, "" when it has none (a question, a message still streaming)."""
    if isinstance(message, list):  # Gradio may hand a message over as content parts
        message = "".join(str(p.get("text", "") if isinstance(p, dict) else p) for p in message)
    if isinstance(message, dict):
        message = message.get("content") or message.get("value") or ""
    found = ANSWER_ID_IN_MESSAGE.search(str(message or ""))
    return found.group(1) if found else ""


def _highlight(text: str, sentences: tuple[str, ...]) -> str:
    """Escape the clause text and mark the longest stretch shared with each supported sentence."""
    escaped_spans: list[tuple[int, int]] = []
    simplified = for_search(text)
    for sentence in sentences:
        core = re.sub(r"[“”\"。，,；;：:]", " ", for_search(sentence)).split()
        for piece in sorted(core, key=len, reverse=True)[:3]:
            if len(piece) >= 6:
                i = simplified.find(piece)
                if i >= 0 and len(simplified) == len(text):
                    escaped_spans.append((i, i + len(piece)))
    out, pos = [], 0
    for start, end in sorted(set(escaped_spans)):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def _context(doc_text: str | None, start: int, end: int) -> str:
    if not doc_text:
        return ""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(doc_text), end + CONTEXT_CHARS)
    before = html.escape(doc_text[lo:start])
    clause = html.escape(doc_text[start:end])
    after = html.escape(doc_text[end:hi])
    body = f"{'…' if lo else ''}{before}<b>{clause}</b>{after}{'…' if hi < len(doc_text) else ''}"
    return (
        f"<details class='context'><summary>查看原文上下文（第 {start}–{end} 字）</summary>"
        f"<div class='original'>{body.replace(chr(10), '<br>')}</div></details>"
    )


def _departments(departments: tuple[str, ...], duties) -> str:
    if not departments:
        return ""
    leads = [name for d in duties for name in d.lead]
    text = "；".join(d.describe() for d in duties) if leads else "、".join(departments)
    return f"<div class='depts'>责任单位：{html.escape(text)}</div>"


def _facts(facts) -> str:
    """The document's issuer, number and date under its title (masked values say so)."""
    if facts is None:
        return ""
    parts = []
    for key, name in FACT_LABELS.items():
        fact = getattr(facts, key)
        if fact is not None:
            masked = "（原文遮蔽）" if fact.masked else ""
            parts.append(f"<span class='fact' data-fact='{key}'>{name}：{html.escape(fact.value)}{masked}</span>")
    warning = (
        f"<div class='warn superseded'>⚠️ 此文件可能已不再有效：{html.escape(facts.superseded.value)}</div>"
        if facts.superseded is not None
        else ""
    )
    return (f"<div class='facts'>{' · '.join(parts)}</div>" if parts else "") + warning


def _flag_warning(flagged: tuple[str, ...]) -> str:
    if not flagged:
        return ""
    quoted = "、".join(f"“{f}”" for f in flagged[:3])
    return f"<div class='warn'>⚠️ 此条款含有疑似对问答助手下达的指令（{html.escape(quoted)}），这部分内容不会用于回答。</div>"


def card(number: int | None, hit: Hit | Clause, supports: tuple[str, ...], doc_text: str | None, kind: str) -> str:
    anchor = f"id='src-{number}'" if number else ""
    badge = f"〔{number}〕" if number else {"candidate": "候选"}.get(kind, "可能相关")
    path = " › ".join(hit.path)
    return (
        f"<div class='card {kind}' {anchor}>"
        f"<div class='badge'>{badge}</div>"
        f"<div class='doc'>《{html.escape(hit.title)}》</div>"
        f"{_facts(hit.facts)}"
        f"<div class='path'>{html.escape(path)}</div>"
        f"{_departments(hit.departments, hit.duties)}"
        f"{_flag_warning(hit.flagged)}"
        f"<div class='clause'>{_highlight(hit.text, supports)}</div>"
        f"{_context(doc_text, hit.start, hit.end)}"
        "</div>"
    )


def waiting_html(ahead: int) -> str:
    """The chat message while a question waits for the model."""
    return f"<span class='note'>排队中，前面还有 {ahead} 个问题…</span>"


def candidates_html(hits, doc_texts: dict[str, str]) -> str:
    """The retrieved clauses, shown as candidates while the answer is written."""
    cards = [card(None, h, (), doc_texts.get(h.doc), "candidate") for h in hits]
    return "<div class='sources'><h4>检索到的候选条款（回答生成中）</h4>" + "".join(cards) + "</div>"


def sources_html(ans: Answer | None, doc_texts: dict[str, str]) -> str:
    """One card per cited clause; for a refusal, the nearest clauses marked 「可能相关」."""
    if ans is None:
        return "<div class='empty'>提问后，这里显示回答引用的条款。</div>"
    if ans.refused or not ans.citations:
        cited = [card(c.number, c.clause, c.supports, doc_texts.get(c.doc), "cited") for c in ans.citations]
        cards = [card(None, h, (), doc_texts.get(h.doc), "related") for h in (ans.related or ans.hits[:3])]
        head = "<h4>引用的条款（文件说了什么）</h4>" + "".join(cited) if cited else ""
        return "<div class='sources'>" + head + "<h4>可能相关的条款</h4>" + "".join(cards) + "</div>"
    cards = [card(c.number, c.clause, c.supports, doc_texts.get(c.doc), "cited") for c in ans.citations]
    return "<div class='sources'><h4>引用的条款</h4>" + "".join(cards) + "</div>"


def _flag_cell(flagged: int) -> str:
    return f"<span class='warn'>⚠️ {flagged} 个条款含疑似指令，已排除在回答之外</span>" if flagged else ""


def _facts_cell(summary: dict) -> str:
    return " · ".join(summary[k] for k in ("issuer", "number", "date") if summary.get(k)) or (
        summary.get("published", "") and f"发布 {summary['published']}"
    )


def _standing_cell(lines: list[str]) -> str:
    return "".join(f"<div class='warn standing'>⚠️ {html.escape(line)}</div>" for line in lines)


def _upload_cell(unconfirmed: bool) -> str:
    return "<div class='warn upload'>⚠️ 上传的文件，来源待管理员确认（其效力声明暂不生效）</div>" if unconfirmed else ""


def documents_html(status) -> str:
    """The indexed documents with clause counts, and whether the index is fresh."""
    if not status.exists:
        return "<p>还没有索引。点击“重建索引”。</p>"
    state = (
        "<span class='fresh'>索引是最新的</span>"
        if status.fresh
        else (
            f"<span class='stale'>索引已过期：新增 {len(status.added)}、修改 {len(status.changed)}、删除 {len(status.removed)} 个文件</span>"
        )
    )
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>《{html.escape(info['title'])}》</td>"
        f"<td>{html.escape(_facts_cell(info.get('facts') or {}))}</td><td>{info['clauses']}</td>"
        f"<td>{_flag_cell(info.get('flagged', 0))}{_upload_cell(bool(info.get('unconfirmed_upload')))}"
        f"{_standing_cell(info.get('standing') or [])}</td></tr>"
        for name, info in sorted(status.per_document.items())
    )
    return (
        f"<p>{state}：{status.documents} 个文件，{status.clauses} 个条款，嵌入模型 {html.escape(status.embedder)}</p>"
        f"<table class='docs'><tr><th>文件</th><th>标题</th><th>发文机关 · 文号 · 日期</th><th>条款数</th><th>警告</th></tr>{rows}</table>"
    )


PAGE_CSS = """
.sources .card{border:1px solid #d0d7de;border-radius:8px;padding:10px;margin:8px 0;background:#fff}
.sources .card.flash{box-shadow:0 0 0 3px #f5b041}
.sources .badge{font-weight:bold;color:#b03a2e}
.sources .doc{font-weight:600}
.sources .path{color:#555;font-size:0.9em}
.sources .depts{color:#1d6fa5;font-size:0.9em;margin:4px 0}
.sources .facts{color:#555;font-size:0.85em;margin:2px 0}
.sources .clause{margin-top:6px;line-height:1.6}
.sources mark{background:#fff3a0}
.sources .related{border-style:dashed}
.sources .candidate{border-style:dotted;opacity:0.85}
.note{color:#8a6d3b}
.state{font-size:0.8em;font-weight:bold;color:#555;margin:2px 0}
.quote{border-left:3px solid #d0d7de;padding-left:8px;margin-bottom:6px}
.warn{color:#b03a2e;font-size:0.9em}
a.cite{text-decoration:none;font-weight:bold}
.fresh{color:#1e8449}.stale{color:#b03a2e}
"""

PAGE_HEAD = """
<script>
document.addEventListener('click', function (e) {
  const link = e.target.closest('a.cite, a[href^="#src-"]');
  if (!link) return;
  e.preventDefault();
  e.stopPropagation();
  const n = link.getAttribute('data-src') || link.getAttribute('href').replace('#src-', '');
  const card = document.getElementById('src-' + n);
  if (card) {
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
    card.classList.add('flash');
    setTimeout(() => card.classList.remove('flash'), 1500);
  }
}, true);
</script>
"""
