"""Decode text files in any common Chinese encoding (UTF-8 with/without BOM, GB18030/GBK, Big5, UTF-16)."""

from __future__ import annotations

# Frequent characters in both scripts; a wrong decoding yields few of them.
COMMON_CHARS = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研"
    "這個們來時為說國會對發動學經當過種後現實體機開還從點與關兩應長間樣產進圖問業務總區員議權單計設導統領術創資與"
)


def _score(text: str) -> float:
    if not text:
        return 0.0
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    common = sum(1 for ch in text if ch in COMMON_CHARS)
    bad = text.count("\ufffd")
    return (common * 3 + han - bad * 10) / len(text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). Tries BOMs, then strict UTF-8, then the Chinese legacy encodings,
    keeping the decoding whose text looks most like Chinese."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str, str]] = []
    for encoding in ("gb18030", "big5hkscs", "big5"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_score(text), encoding, text))
    if candidates:
        _, encoding, text = max(candidates, key=lambda c: c[0])
        return text, encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return data.decode("gb18030", errors="replace"), "gb18030 (with replacements)"
    return str(best), best.encoding
