"""Is it a document at all, and does it talk to the assistant? Screens decoded text before it is indexed."""

from __future__ import annotations

import re
import unicodedata

from .decoding import COMMON_CHARS

# More than this share of replacement, control or private-use characters: not a text document.
MAX_BAD_SHARE = 0.05
# A real document has a run of this many Chinese characters, of which at least MIN_COMMON_SHARE are frequent
# ones (random characters almost never are), or a run of this many Latin words.
REAL_RUN_CHARS = 4
MIN_COMMON_SHARE = 0.05
REAL_RUN_WORDS = 5
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{%d}" % REAL_RUN_CHARS)
_LATIN_RUN = re.compile(r"(?:\b[A-Za-z]{2,}\b[\s,.;:]+){%d}" % REAL_RUN_WORDS)

# Text addressed to an assistant rather than to the document's readers (prompt injection).
INSTRUCTION = re.compile(
    r"忽略(?:以上|上述|之前|前面|先前|所有)(?:的)?(?:所有)?(?:指令|指示|要求|规则|内容|提示)"
    r"|(?:无视|不要理会)(?:以上|上述|之前)(?:的)?(?:指令|指示|要求|规则)"
    r"|你(?:现在)?(?:是|扮演)(?:一个|一名)?(?:AI|人工智能|助手|助理|模型|ChatGPT|GPT)"
    r"|你现在是"
    r"|系统提示词|system\s*prompt"
    r"|ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|above|prior)\s+(?:instructions|prompts?|rules)"
    r"|disregard\s+(?:all\s+)?(?:the\s+)?(?:previous|above|prior)"
    r"|you\s+are\s+now\s+",
    re.IGNORECASE,
)


# Text that governs how questions put to the answerer are to be answered: it speaks of questions (being asked)
# and prescribes what the reply is to be. A policy document tells its readers what to do; it never tells
# whoever answers questions about it what to say ("凡涉及…的问询，均应答复为一亿元"). Both parts must be in one
# sentence; a document that reports someone's reply ("他的回答是：…") or asks for timely replies ("对群众咨询要及时
# 答复") prescribes no reply content and is not flagged.
ABOUT_QUESTIONS = re.compile(
    r"问询|询问|提问|问题|咨询|问到|问及|查询|用户|提问者|\b(?:asked|asks?|questions?|quer(?:y|ies))\b", re.IGNORECASE
)
PRESCRIBED_REPLY = re.compile(
    r"(?:应|须|需|必须|一律|均|统一|请|务必|只能|只|要)(?:当|该|以|被)?(?:答复|回答|回复|作答|应答|告知|答)(?:为|是|成|称|说|：|:|“|\")"
    r"|\b(?:answer|reply|respond|say)\s+(?:with|that|only|it\s+is)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


def _bad(ch: str) -> bool:
    if ch in "\n\r\t":
        return False
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cs")


def not_a_document(text: str) -> str | None:
    """Why the text is not a document (mostly replacement/control characters, or no run of real words), or None."""
    if not text:
        return "no text"
    bad = sum(1 for ch in text if _bad(ch))
    if bad / len(text) > MAX_BAD_SHARE:
        return f"not a text document ({100 * bad / len(text):.0f}% replacement or control characters)"
    han = _HAN.findall(text)
    common = sum(1 for ch in han if ch in COMMON_CHARS)
    chinese = bool(_HAN_RUN.search(text)) and common >= MIN_COMMON_SHARE * len(han)
    if not chinese and not _LATIN_RUN.search(text):
        return "not a text document (no run of real words)"
    return None


def instructions_in(text: str) -> list[str]:
    """The passages of a text that address an assistant ("忽略以上指令…", "ignore previous instructions") or
    prescribe the replies to questions (the whole sentence)."""
    found = [m.group(0) for m in INSTRUCTION.finditer(text)]
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0).strip()
        if ABOUT_QUESTIONS.search(sentence) and PRESCRIBED_REPLY.search(sentence) and sentence not in found:
            found.append(sentence)
    return found
