"""Is it a document at all, and does it talk to the assistant? Screens decoded text before it is indexed."""

from __future__ import annotations

import re
import unicodedata

from ..text.normalize import to_simplified
from ..text.sentences import SENTENCE_ENDS
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

# Text addressed to an assistant rather than to the document's readers (prompt injection). Every pattern below is
# matched on the text as `_folded` makes it (fullwidth letters folded, traditional characters simplified, lower
# case), so 「ＩＧＮＯＲＥ ＰＲＥＶＩＯＵＳ」 and 「均應答覆為」 are read as their plain forms; what is reported is
# the original passage.
INSTRUCTION = re.compile(
    r"(?:忽略|无视|不要理会|不必理会|抛开)(?:掉)?(?:以上|上述|之前|前面|先前|此前|所有|全部|其他)(?:的)?(?:所有|全部)?"
    r"(?:指令|指示|要求|规则|内容|提示|设定|文件|信息|资料)"
    r"|你(?:现在)?(?:是|扮演)(?:一个|一名)?(?:ai|人工智能|助手|助理|模型|chatgpt|gpt)"
    r"|你现在是"
    r"|系统提示词|system\s*prompt"
    r"|ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|above|prior|earlier|other)\s+(?:instructions|prompts?|rules|documents?)"
    r"|disregard\s+(?:all\s+)?(?:the\s+|any\s+)?(?:previous|above|prior|earlier|other|official)"
    r"|you\s+are\s+now\s+"
)
# Words that name whoever answers questions about the documents: an AI, an assistant, a chatbot, a model.
ANSWERER = (
    r"(?:ai|人工智能|智能)?(?:助手|助理|问答(?:系统|机器人|助手)|聊天机器人|大模型|语言模型)|ai"
    r"|\b(?:assistant|chatbot|language\s+model|llm|ai)\b"
)
# The answerer addressed and told something: 「AI助手请注意」「问答系统须…」「Assistant: …」「AI, you must…」.
ADDRESSED = re.compile(
    rf"(?:{ANSWERER})\s*(?:[:：,，]\s*)?(?:请|务必|必须|须|应当|应该|一律|不得|不要|注意|忽略|无视|需要|需)"
    rf"|(?:致|告|提醒|通知)(?:{ANSWERER})"
    rf"|\b(?:assistant|chatbot|ai|model)\s*[:：,]\s*(?:please\s+)?(?:ignore|disregard|answer|reply|respond|say|tell|always|never|you\s+must)"
    rf"|\b(?:assistant|chatbot|ai|model)s?\s+(?:must|should|shall|needs?\s+to)\s+(?:answer|reply|respond|say|tell|state|ignore|disregard)"
)


# Text that governs how questions put to the answerer are to be answered: it speaks of questions (being asked)
# and prescribes what the reply is to be. A policy document tells its readers what to do; it never tells
# whoever answers questions about it what to say ("凡涉及…的问询，均应答复为一亿元", "…统一口径为：…"). Both parts
# must be in one sentence; a document that reports someone's reply ("他的回答是：…") or asks for timely replies
# ("对群众咨询要及时答复") prescribes no reply content and is not flagged.
ABOUT_QUESTIONS = re.compile(
    r"问询|询问|提问|问题|咨询|问到|问及|查询|用户|提问者|\b(?:asked|asks?|questions?|quer(?:y|ies))\b"
)
PRESCRIBED_REPLY = re.compile(
    r"(?:应|须|需|必须|一律|均|统一|请|务必|只能|只|要)(?:当|该|以|被)?(?:答复|回答|回复|作答|应答|告知|答)(?:为|是|成|称|说|：|:|“|\")"
    r"|(?:统一|对外|答复|回复|应答)口径(?:为|是|：|:)"
    r"|\b(?:answer|reply|respond|say)\s+(?:with|that|only|it\s+is)\b"
)
_SENTENCE = re.compile(rf"[^{SENTENCE_ENDS}\n]+[{SENTENCE_ENDS}]?")


def _folded(text: str) -> str:
    """The text as the patterns read it, one character for each of the original's (so a match's span is the
    original passage's): each character width-folded (NFKC) where that gives one character, simplified, lower case."""
    chars = [unicodedata.normalize("NFKC", ch) for ch in text]
    folded = "".join(c if len(c) == 1 else ch for c, ch in zip(chars, text))
    simplified = to_simplified(folded)
    if len(simplified) != len(folded):  # a phrase converted to another length: convert character by character
        simplified = "".join(s if len(s := to_simplified(ch)) == 1 else ch for ch in folded)
    return simplified.lower()


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
    """The passages of a text that address an assistant ("忽略以上指令…", "AI助手请注意…", "ignore previous
    instructions") or prescribe the replies to questions (the whole sentence), as the original text writes them,
    in any width, simplified or traditional, any case."""
    folded = _folded(text)
    found: list[str] = []
    for m in _SENTENCE.finditer(folded):
        sentence = m.group(0)
        lead = len(sentence) - len(sentence.lstrip())
        original = text[m.start() + lead : m.end()].strip()
        if not original:
            continue
        if ADDRESSED.search(sentence) or (ABOUT_QUESTIONS.search(sentence) and PRESCRIBED_REPLY.search(sentence)):
            if original not in found:
                found.append(original)
            continue
        for hit in INSTRUCTION.finditer(sentence):
            passage = text[m.start() + hit.start() : m.start() + hit.end()]
            if passage not in found:
                found.append(passage)
    return found
