"""Who may use the HTTP API: keys from the settings (RAG_API_KEYS), held only as SHA-256 digests, and a per-key
limit on requests a minute.

RAG_API_KEYS is a comma-separated list of `name:secret`; a name ending in "+build" may also start builds. A secret
written `sha256:<length>:<64 hex digits>` is already a digest (of a secret of that many characters), so the
environment or a settings file need not hold the key itself; a digest without its length, or of a secret shorter
than MIN_SECRET_CHARS, is refused like a short plain secret (a digest of "1234" falls to guessing in seconds).
Secrets are compared by digest in constant time; a key's name (never its secret) is what logs, feedback and rate
limits see. No error names an entry by its text: an entry without its colon may be a bare secret, so errors say
which entry by its position.

Failed authentications are limited (`AuthFailures`): past AUTH_FAILURES_PER_ADDRESS a minute from one client
address, or AUTH_FAILURES_TOTAL a minute from all of them, every request of that address (or every request at all)
is answered 429 with Retry-After before its key is looked at.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass

from ..errors import RagError
from ..rate_limit import SlidingWindow

BUILD_SUFFIX = "+build"
DIGEST_PREFIX = "sha256:"
MIN_SECRET_CHARS = 16  # a secret shorter than this (plain, or a digest's declared length) is refused at start-up
DIGEST_SPEC = re.compile(r"sha256:(\d{1,4}):([0-9a-fA-F]{64})")
# Failed authentications a minute: from one client address, and from all of them together.
AUTH_FAILURES_PER_ADDRESS = 10
AUTH_FAILURES_TOTAL = 100
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
        entries = [e.strip() for e in spec.split(",")]
        for n, entry in enumerate((e for e in entries if e), 1):
            name, sep, secret = entry.partition(":")
            if not sep or not secret:
                raise ApiKeyError(
                    f"RAG_API_KEYS: entry {n} is not name:secret", "RAG_API_KEYS 的格式应为 名称:密钥，用逗号分隔。"
                )
            can_build = name.endswith(BUILD_SUFFIX)
            name = name[: -len(BUILD_SUFFIX)] if can_build else name
            if not NAME.fullmatch(name):
                raise ApiKeyError(
                    f"RAG_API_KEYS: the name of entry {n} may hold only letters, digits and _.@- (1-64 of them)",
                    "RAG_API_KEYS 中的名称只能包含字母、数字和 _.@-。",
                )
            key_digest = self._digest_of(n, secret)
            if key_digest in self._by_digest:
                raise ApiKeyError(
                    f"RAG_API_KEYS: entry {n} repeats another entry's secret",
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
    def _digest_of(n: int, secret: str) -> str:
        if secret.startswith(DIGEST_PREFIX):
            spec = DIGEST_SPEC.fullmatch(secret)
            if spec is None:
                raise ApiKeyError(
                    f"RAG_API_KEYS: entry {n}: a digest is written sha256:<length of the secret>:<64 hex digits>",
                    "RAG_API_KEYS 中的摘要应写作 sha256:<密钥长度>:<64 位十六进制摘要>。",
                )
            if int(spec.group(1)) < MIN_SECRET_CHARS:
                raise ApiKeyError(
                    f"RAG_API_KEYS: entry {n} is the digest of a secret shorter than {MIN_SECRET_CHARS} characters",
                    f"RAG_API_KEYS 中的密钥至少需要 {MIN_SECRET_CHARS} 个字符。",
                )
            return spec.group(2).lower()
        if len(secret) < MIN_SECRET_CHARS:
            raise ApiKeyError(
                f"RAG_API_KEYS: entry {n} is shorter than {MIN_SECRET_CHARS} characters",
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


class AuthFailures:
    """Failed authentications, per client address and in all: `wait(address)` is 0 while that address may try a
    key, else the seconds until it may; `failed(address)` counts one. `newly_blocked` says whether this address's
    block has not been reported yet (so that the audit log gets one line per blocked minute, not one per
    request)."""

    def __init__(self, per_address: int = AUTH_FAILURES_PER_ADDRESS, total: int = AUTH_FAILURES_TOTAL) -> None:
        self.by_address = SlidingWindow(per_address)
        self.everyone = SlidingWindow(total)
        self._reported: SlidingWindow = SlidingWindow(1)

    def wait(self, address: str) -> float:
        return max(self.by_address.wait(address), self.everyone.wait(ALL_ADDRESSES))

    def failed(self, address: str) -> None:
        self.by_address.record(address)
        self.everyone.record(ALL_ADDRESSES)

    def newly_blocked(self, address: str) -> bool:
        return self._reported.take(address) == 0


ALL_ADDRESSES = "*"  # the global window's key


__all__ = ["ANONYMOUS", "ApiKeyError", "AuthFailures", "ApiKeys", "Caller", "RateLimiter", "digest", "is_loopback"]
