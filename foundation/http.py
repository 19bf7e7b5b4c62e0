"""The one HTTP client every connector uses.

stdlib ``http.client`` with: a timeout per socket operation and an overall deadline,
a response size cap (also after gzip), redirects followed by hand (at most
``MAX_REDIRECTS``), and the private-address guard applied where the socket is
opened, so every hop of a redirect is checked and a hostname cannot be resolved to
a public address for the check and to a private one for the connection (DNS
rebinding): the connection goes to the very address that was checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, urlencode, urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext


class SourceError(Exception):
    """A request (a poll, a webhook, a publish) failed. ``retry`` False means retrying will not help: the source is paused."""

    def __init__(self, message: str, *, retry: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


class AddressRefused(SourceError):
    """A host that resolves to a private, loopback, link-local or reserved address."""

    def __init__(self, host: str, address: str):
        super().__init__(
            f"refused: {host} resolves to a private or loopback address ({address})",
            retry=False,
        )
        self.host = host
        self.address = address


def url_origin(url: str) -> str:
    """Scheme, host and port of a URL, nothing else: what errors and logs may show. A
    webhook's or feed's path and query can be its credential (Slack, Teams, tokens)."""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(bad URL)"
    if not host:
        return "(bad URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}" if parts.scheme else host


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def _origin_of_match(found: re.Match[str]) -> str:
    url = found.group()
    bare = url.rstrip(".,:;)]}")  # "http://host:8080: HTTP 503" ends the URL at the colon
    return url_origin(bare) + url[len(bare) :]


def short_reason(error: BaseException | str, *, limit: int = 200) -> str:
    """A failure as one short line for a page or a row: every URL in it cut to its
    origin (a path or query can be a credential), the first line only, at most
    ``limit`` characters."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = _URL_IN_TEXT.sub(_origin_of_match, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


MAX_REDIRECTS = 5
USER_AGENT = "CrisisRoom/0.1 (+self-hosted social listening)"
# Credentials that must not follow a redirect to another origin.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# Loads the system CA store once; an SSLContext is safe to share between connections.
_SSL_CONTEXT = ssl.create_default_context()


# IPv6 forms that carry an IPv4 address inside: checked as that IPv4 address too.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address reaches."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def address_allowed(address: str) -> bool:
    """Whether sources may connect to this IP address (ValueError if it is not one)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            # Both must be public: 64:ff9b::a00:1 reaches 10.0.0.1 through a NAT64 gateway,
            # ::ffff:127.0.0.1 and ::127.0.0.1 are loopback, 2002:a00:1:: is 6to4 to 10.0.0.1.
            candidates = [inner] if ip.ipv4_mapped else [ip, inner]
        elif ip in _NAT64_LOCAL:
            candidates = [ip, ipaddress.IPv4Address(0)]  # local-use NAT64: never public
    if all(_public(one) for one in candidates):
        return True
    if getattr(settings, "SOURCES_ALLOW_PRIVATE_ADDRESSES", False):
        return True
    # Narrower than the switch above: only these private networks (e.g. an intranet feed).
    networks = [
        ipaddress.ip_network(net, strict=False)
        for net in getattr(settings, "SOURCES_ALLOWED_NETWORKS", [])
    ]
    return all(any(one in net for net in networks) for one in candidates if not _public(one))


def resolve_checked(host: str, port: int) -> list[tuple]:
    """getaddrinfo, refusing private, loopback, link-local and reserved addresses."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SourceError(f"cannot resolve {host}: {exc}", retry=True) from exc
    for info in infos:
        if not address_allowed(info[4][0]):
            raise AddressRefused(host, info[4][0])
    return infos


def url_refusal(url: str) -> str:
    """Why the guard would refuse to send to ``url`` (not http(s), no host, or a host
    that resolves to a private or loopback address), or "" when it may. A name that
    does not resolve now is not refused: the sender checks again at every try."""
    try:
        parts = urlsplit(str(url))
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return gettext("The URL must start with http:// or https:// and name a host.")
        resolve_checked(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except AddressRefused as exc:
        return gettext("%(host)s resolves to a private or loopback address (%(address)s).") % {
            "host": exc.host,
            "address": exc.address,
        }
    except SourceError as exc:
        if not exc.retry:
            return str(exc)
    except ValueError:
        return gettext("The URL is not valid.")
    return ""


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    last: OSError | None = None
    for family, type_, proto, _canon, address in resolve_checked(host, port):
        sock = socket.socket(family, type_, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    raise last or OSError(f"cannot connect to {host}:{port}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _connect(self.host, self.port, self.timeout)  # type: ignore[arg-type]


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _connect(self.host, self.port, self.timeout)  # type: ignore[arg-type]
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self):  # type: ignore[no-untyped-def]
        import json

        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise SourceError(
                f"{url_origin(self.url)}: the response is not JSON", retry=True
            ) from exc


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (now if now is not None else time.time()))


def _read_capped(response: http.client.HTTPResponse, cap: int, deadline: float, url: str) -> bytes:
    url = url_origin(url)
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise SourceError(f"{url}: timed out reading the response", retry=True)
        chunk = response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > cap:
            raise SourceError(f"{url}: response larger than {cap} bytes", retry=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, encoding: str, cap: int, url: str) -> bytes:
    url = url_origin(url)
    encoding = encoding.strip().lower()
    if encoding not in {"gzip", "x-gzip", "deflate"}:
        return body
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(body, cap + 1)
    except zlib.error as exc:
        raise SourceError(f"{url}: bad {encoding} body", retry=True) from exc
    if len(out) > cap or decompressor.unconsumed_tail:
        raise SourceError(f"{url}: response larger than {cap} bytes", retry=True)
    return out


def _same_origin(old: SplitResult, new: SplitResult) -> bool:
    """Whether a redirect stays on the same scheme, host and port (an upgrade from
    http to https on the default ports counts as the same)."""

    def origin(parts: SplitResult) -> tuple[str, str, int]:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.scheme, (parts.hostname or "").lower(), port

    a, b = origin(old), origin(new)
    if a == b:
        return True
    return a == ("http", b[1], 80) and b == ("https", a[1], 443)


def _without(headers: Mapping[str, str], names: set[str] | frozenset[str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in names}


def request(
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> Response:
    """One HTTP request with the guard, timeout, size cap and checked redirects.

    Returns every status (callers decide what 304, 429 or 500 mean); raises
    ``SourceError`` for network failures, timeouts, oversize bodies and refused
    addresses.
    """
    timeout = float(timeout or getattr(settings, "SOURCES_HTTP_TIMEOUT_SECONDS", 20))
    cap = int(max_bytes or getattr(settings, "SOURCES_MAX_RESPONSE_BYTES", 5 * 1024 * 1024))
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    deadline = time.monotonic() + timeout * 2
    send_headers = {
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "gzip, deflate",
        **(headers or {}),
    }
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SourceError(f"refused: {url_origin(url)} is not an http(s) URL", retry=False)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = _GuardedHTTPSConnection(
                parts.hostname, port, timeout=timeout, context=_SSL_CONTEXT
            )
        else:
            conn = _GuardedHTTPConnection(parts.hostname, port, timeout=timeout)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        try:
            conn.request(method, path, body=body, headers=send_headers)
            raw = conn.getresponse()
            response_headers = {k.lower(): v for k, v in raw.getheaders()}
            if raw.status in {301, 302, 303, 307, 308} and response_headers.get("location"):
                raw.read(65536)
                url = urljoin(url, response_headers["location"])
                if raw.status == 303 or (raw.status in {301, 302} and method == "POST"):
                    method, body = ("HEAD" if method == "HEAD" else "GET"), None
                    send_headers = _without(send_headers, {"content-type"})
                if not _same_origin(parts, urlsplit(url)):
                    # Tokens, cookies and a body (Bluesky's password) stay with the host
                    # they were meant for.
                    body = None
                    send_headers = _without(send_headers, _CREDENTIAL_HEADERS | {"content-type"})
                continue
            if method == "HEAD" or raw.status in {204, 304}:
                data = b""
            else:
                data = _read_capped(raw, cap, deadline, url)
                data = _decode(data, response_headers.get("content-encoding", ""), cap, url)
            return Response(url=url, status=raw.status, headers=response_headers, body=data)
        except SourceError:
            raise
        except TimeoutError as exc:
            raise SourceError(
                f"{url_origin(url)}: timed out after {timeout:g}s", retry=True
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise SourceError(
                f"{url_origin(url)}: {exc.__class__.__name__}: {exc}", retry=True
            ) from exc
        finally:
            conn.close()
    raise SourceError(f"{url_origin(url)}: more than {MAX_REDIRECTS} redirects", retry=True)


def post_json(
    url: str,
    payload: object,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Response:
    """POST a JSON body through ``request`` (same guard, cap and redirect checks):
    what webhooks and publishing connectors send out. Every status is returned."""
    import json

    return request(
        "POST",
        url,
        body=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        },
        timeout=timeout,
    )
