"""Who may use the HTTP API: keys from the settings (RAG_API_KEYS), held only as SHA-256 digests, and a per-key
limit on requests a minute.

RAG_API_KEYS is a comma-separated list of `name:secret`; a name ending in "+build" may also start builds. A secret
written `sha256:<64 hex digits>` is already a digest, so the environment or a settings file need not hold the key
itself. Secrets are compared by digest in constant time; a key's name (never its secret) is what logs, feedback and
rate limits see.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass

from ..errors import RagError
from ..ui.login_limit import SlidingWindow

BUILD_SUFFIX = "+build"
DIGEST_PREFIX = "sha256:"
MIN_SECRET_CHARS = 16  # a plain secret shorter than this is refused at start-up
NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
ANONYMOUS = "anonymous"


class ApiKeyError(RagError):
    """RAG_API_KEYS or RAG_API_OPEN cannot be used as written."""


@dataclass(frozen=True)
class Caller:
    """Who made a request: a key's name (or "anonymous" on an open loopback API) and whether it may build."""

    name: str
    can_build: bool = False


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiKeys:
    """The keys the API accepts. `enabled` is False when there are none and the API is not open."""

    def __init__(self, spec: str, open_on_loopback: bool = False, host: str = "127.0.0.1") -> None:
        self._by_digest: dict[str, Caller] = {}
        for entry in (e.strip() for e in spec.split(",")):
            if not entry:
                continue
            name, sep, secret = entry.partition(":")
            if not sep or not secret:
                raise ApiKeyError(
                    f"RAG_API_KEYS: an entry is not name:secret (the entry naming {name[:20]!r})",
                    "RAG_API_KEYS 的格式应为 名称:密钥，用逗号分隔。",
                )
            can_build = name.endswith(BUILD_SUFFIX)
            name = name[: -len(BUILD_SUFFIX)] if can_build else name
            if not NAME.fullmatch(name):
                raise ApiKeyError(
                    f"RAG_API_KEYS: key name {name[:64]!r} may hold only letters, digits and _.@-",
                    "RAG_API_KEYS 中的名称只能包含字母、数字和 _.@-。",
                )
            key_digest = self._digest_of(name, secret)
            if key_digest in self._by_digest:
                raise ApiKeyError(
                    f"RAG_API_KEYS: key {name!r} repeats another key's secret",
                    "RAG_API_KEYS 中有两个名称使用了同一个密钥。",
                )
            self._by_digest[key_digest] = Caller(name, can_build)
        if open_on_loopback and not is_loopback(host):
            raise ApiKeyError(
                f"RAG_API_OPEN=1 opens the API without keys only on a loopback host, not on {host}",
                "只有在本机地址上才能不设密钥开放接口（RAG_API_OPEN）。",
            )
        self.open = open_on_loopback

    @staticmethod
    def _digest_of(name: str, secret: str) -> str:
        if secret.startswith(DIGEST_PREFIX):
            hexdigest = secret[len(DIGEST_PREFIX) :].lower()
            if not re.fullmatch(r"[0-9a-f]{64}", hexdigest):
                raise ApiKeyError(
                    f"RAG_API_KEYS: key {name!r}: a sha256: secret must be 64 hex digits",
                    "RAG_API_KEYS 中 sha256: 之后应为 64 位十六进制摘要。",
                )
            return hexdigest
        if len(secret) < MIN_SECRET_CHARS:
            raise ApiKeyError(
                f"RAG_API_KEYS: key {name!r} is shorter than {MIN_SECRET_CHARS} characters",
                f"RAG_API_KEYS 中的密钥至少需要 {MIN_SECRET_CHARS} 个字符。",
            )
        return digest(secret)

    @property
    def enabled(self) -> bool:
        return bool(self._by_digest) or self.open

    def caller(self, authorization: str | None) -> Caller | None:
        """The caller an `Authorization: Bearer <key>` header names; anonymous on an open API without a header;
        None when the key is missing or unknown."""
        if not authorization:
            return Caller(ANONYMOUS) if self.open else None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        offered = digest(token.strip())
        for known, caller in self._by_digest.items():  # every digest compared: the time does not say which matched
            if hmac.compare_digest(known, offered):
                return caller
        return None


class RateLimiter(SlidingWindow):
    """At most `per_minute` requests per caller in any sixty seconds; `take(caller)` is 0 when a request may go
    ahead, else the seconds until one may."""


__all__ = ["ANONYMOUS", "ApiKeyError", "ApiKeys", "Caller", "RateLimiter", "digest", "is_loopback"]
