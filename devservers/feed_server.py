"""A real HTTP server on 127.0.0.1 whose every path a test scripts.

    with FeedServer() as server:
        url = server.add("/feed.xml", rss_bytes, etag='"v1"')
        server.add_handler("/slow", trickle(b"<rss>...", interval=1.0))
        ...

Handlers run in the server's own threads; ``server.hits[path]`` counts requests and
``server.requests[path]`` keeps their headers.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FeedServer:
    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.stopping = threading.Event()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without this, Nagle's
            # algorithm meets the client's delayed ACK: +40 ms per keep-alive response.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                server.requests[path].append(
                    {k.lower(): v for k, v in self.headers.items()}
                )
                if server.latency:
                    time.sleep(server.latency)
                handler = server.routes.get(path)
                try:
                    if handler is None:
                        respond(
                            self, b"not found", status=404, content_type="text/plain"
                        )
                    else:
                        handler(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, which is often what the test wants

            def log_message(self, format, *args) -> None:  # noqa: A002
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), RequestHandler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: str = "",
        gzip_body: bool = False,
    ) -> str:
        payload = body.encode() if isinstance(body, str) else body
        if gzip_body:
            payload = gzip.compress(payload)

        def handler(request: BaseHTTPRequestHandler) -> None:
            extra = dict(headers or {})
            if etag:
                extra["ETag"] = etag
                if request.headers.get("If-None-Match") == etag:
                    respond(request, b"", status=304, headers=extra)
                    return
            if gzip_body:
                extra["Content-Encoding"] = "gzip"
            respond(
                request,
                payload,
                status=status,
                content_type=content_type,
                headers=extra,
            )

        self.routes[path] = handler
        return self.url(path)

    def add_handler(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)


def respond(
    request: BaseHTTPRequestHandler,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/rss+xml; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    request.send_response(status)
    if status != 304:
        request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        request.send_header(key, value)
    request.end_headers()
    if body:
        request.wfile.write(body)


def redirect(location: str, *, status: int = 302) -> Handler:
    def handler(request: BaseHTTPRequestHandler) -> None:
        respond(request, b"", status=status, headers={"Location": location})

    return handler


def trickle(
    body: bytes, *, interval: float = 1.0, stop: threading.Event | None = None
) -> Handler:
    """Headers at once, then a byte every ``interval`` s (never a read timeout)."""

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        for byte in body:
            if stop is not None and stop.is_set():
                return
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            time.sleep(interval)

    return handler


def endless(*, total_bytes: int, chunk: bytes = b"<!-- padding -->" * 4096) -> Handler:
    """A body of ``total_bytes`` generated while sending, without a Content-Length."""

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        request.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        sent = 0
        while sent < total_bytes:
            request.wfile.write(chunk)
            sent += len(chunk)

    return handler
