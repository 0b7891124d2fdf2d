"""HTTP for feeds and article pages, hardened for the open web.

One httpx client serves every request of a run. Limits enforced here:

- connect and read timeouts, plus a total deadline per request (a server that trickles
  one byte a second never trips a read timeout, so every socket read and connect is
  bounded by what is left of the deadline);
- a cap on the decoded body size, checked while streaming (gzip bombs included);
- redirects followed by hand, at most ``INGEST_MAX_REDIRECTS``, loops refused;
- no connection to loopback, private, link-local (cloud metadata), multicast or reserved
  addresses unless ``INGEST_ALLOW_PRIVATE_HOSTS`` (or the host, as written in the URL,
  is in ``INGEST_PRIVATE_HOST_ALLOWLIST``: an intranet feed server). The check runs
  inside the connection backend on the address actually dialled, so every redirect hop
  is covered and a DNS answer that changes between check and connect (rebinding)
  gains nothing.

Environment proxies are ignored on purpose: through a proxy the guard would only see the
proxy's address.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import typing
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECT_CODES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A request that gave no usable body. ``str()`` is the whole reason, for the
    server log; ``shown`` is what editors see, which never says what a name resolved
    to or how a connection failed: from the admin, that would map the private network
    the server sits in."""

    def __init__(self, message: str, *, shown: str | None = None):
        super().__init__(message)
        self.shown = shown or message


class BlockedAddressError(FetchError):
    def __init__(self, message: str):
        super().__init__(message, shown="refused: the host is not a public address")


@dataclass
class FetchResult:
    url: str  # after redirects
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case keys
    content: bytes = b""
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


_limits = threading.local()


def _remaining() -> float | None:
    deadline = getattr(_limits, "deadline", None)
    if deadline is None:
        return None
    return deadline - time.monotonic()


def _bounded(timeout: float | None) -> float | None:
    remaining = _remaining()
    if remaining is None:
        return timeout
    if remaining <= 0:
        raise httpcore.ReadTimeout("request deadline exceeded")
    return remaining if timeout is None else min(timeout, remaining)


# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address dialled.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# The local-use NAT64 prefix (RFC 8215) is not globally reachable, and where the IPv4
# address sits inside it depends on each operator's prefix length: never public.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
# Deprecated IPv4-compatible addresses (::a.b.c.d), which Python calls global.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def is_public_address(address: str) -> bool:
    """Whether dialling this address can only reach the public internet.

    An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo,
    IPv4-compatible) is public only if the IPv4 address inside it is too: otherwise
    ``64:ff9b::7f00:1`` or ``2002:a9fe:a9fe::`` would reach loopback or the cloud
    metadata service through a translator.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded and not all(_is_public(v4) for v4 in embedded):
            return False
    return _is_public(ip)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour:
        return [ip.sixtofour]
    if ip.teredo:
        return list(ip.teredo)  # the Teredo server and the client's own address
    return []


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout))
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself and dials only addresses the guard accepts."""

    def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):
        allow_private = getattr(_limits, "allow_private", False) or _allowlisted(
            host, port
        )
        infos = _resolve(host, port, timeout=_bounded(timeout))
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not allow_private:
            blocked = [a for a in addresses if not is_public_address(a)]
            if blocked:
                raise BlockedAddressError(
                    f"refused: {host} resolves to non-public address {blocked[0]} "
                    "(loopback, private, link-local or metadata)"
                )
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address, port, _bounded(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream)
        raise last_error or httpcore.ConnectError(f"no address for {host}")


# getaddrinfo() has no timeout: a stalled resolver would outlive the deadline.
_resolver = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ingest-dns")


def _resolve(host: str, port: int, *, timeout: float | None):
    if _is_ip_literal(host):
        # No lookup to wait for: never queue behind stalled names in the pool.
        return socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return lookup.result(timeout=timeout)
    except FutureTimeout:
        raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _allowlisted(host: str, port: int) -> bool:
    allowlist = getattr(_limits, "allowlist", ())
    return host.lower() in allowlist or f"{host.lower()}:{port}" in allowlist


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


def make_client(*, max_connections: int | None = None) -> httpx.Client:
    """The client every fetch of a run shares; close it when the run ends."""
    workers = max_connections or max(settings.INGEST_WORKERS, 1) * 2
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    return httpx.Client(
        transport=_GuardedTransport(limits=limits),
        timeout=httpx.Timeout(
            settings.INGEST_READ_TIMEOUT, connect=settings.INGEST_CONNECT_TIMEOUT
        ),
        headers={
            "User-Agent": settings.INGEST_USER_AGENT,
            "Accept-Encoding": "gzip, deflate, br",
        },
        follow_redirects=False,
        trust_env=False,
    )


def fetch(
    url: str,
    *,
    client: httpx.Client | None = None,
    etag: str = "",
    last_modified: str = "",
    accept: str = PAGE_ACCEPT,
) -> FetchResult:
    """GET ``url`` within every limit; raises FetchError with a readable reason.

    Returns 2xx and 304 responses; anything else is a FetchError.
    """
    if client is None:
        with make_client(max_connections=2) as own_client:
            return fetch(
                url,
                client=own_client,
                etag=etag,
                last_modified=last_modified,
                accept=accept,
            )
    deadline_seconds = settings.INGEST_DEADLINE
    started = time.monotonic()
    _limits.deadline = started + deadline_seconds
    _limits.allow_private = settings.INGEST_ALLOW_PRIVATE_HOSTS
    _limits.allowlist = {h.lower() for h in settings.INGEST_PRIVATE_HOST_ALLOWLIST}
    try:
        result = _follow(
            url, client=client, etag=etag, last_modified=last_modified, accept=accept
        )
    except BlockedAddressError:
        raise
    except httpx.TimeoutException as exc:
        if time.monotonic() - started >= deadline_seconds - 0.05:
            raise FetchError(
                f"gave up after the {deadline_seconds:g} s deadline"
            ) from exc
        raise FetchError(
            f"timed out ({type(exc).__name__}: {exc or 'no response'})",
            shown="timed out",
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(str(exc)) from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"could not decode the compressed body: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(
            f"{type(exc).__name__}: {exc or 'connection failed'}",
            shown="could not connect or read the answer",
        ) from exc
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(f"invalid URL: {exc}", shown="invalid URL") from exc
    finally:
        _limits.deadline = None
    result.elapsed = time.monotonic() - started
    return result


def _follow(url, *, client, etag, last_modified, accept) -> FetchResult:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seen: set[str] = set()
    for _ in range(settings.INGEST_MAX_REDIRECTS + 1):
        _check_scheme(url)
        if url in seen:
            raise FetchError(f"redirect loop at {url}")
        seen.add(url)
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(
                    url=url, status_code=304, headers=_lower(response.headers)
                )
            if response.status_code in REDIRECT_CODES:
                location = response.headers.get("location", "")
                if not location:
                    raise FetchError(
                        f"HTTP {response.status_code} redirect without Location"
                    )
                url = urljoin(str(response.url), location)
                continue
            if not 200 <= response.status_code < 300:
                raise FetchError(
                    f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
                )
            content = _read_capped(response)
            return FetchResult(
                url=url,
                status_code=response.status_code,
                headers=_lower(response.headers),
                content=content,
            )
    raise FetchError(f"more than {settings.INGEST_MAX_REDIRECTS} redirects")


def _check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url[:200]}")


def _read_capped(response: httpx.Response) -> bytes:
    cap = settings.INGEST_MAX_BYTES
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(
            f"body of {int(declared):,} bytes exceeds the {cap:,}-byte cap"
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchError(
                f"body exceeds the {cap:,}-byte cap (aborted while reading)"
            )
        chunks.append(chunk)
        # The stream's reads are bounded too; this catches a fast stream of tiny chunks.
        remaining = _remaining()
        if remaining is not None and remaining <= 0:
            raise httpx.ReadTimeout("request deadline exceeded")
    return b"".join(chunks)


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
