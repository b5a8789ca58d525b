"""Hooks for fault injection: put a rewriting layer between the suite and a broker.

A faulty broker is a correct one (the reference broker, say) whose answers are rewritten on
the way back (and, where a fault is about what the broker makes of a request, whose requests
are rewritten on the way in: ``before``). ``RewritingTransport`` does that inside the suite's
own HTTP client, which is enough for every check but the schemathesis layer (it has its own
client: put an HTTP proxy in front of the broker for that one)::

    transport = RewritingTransport(documents(lambda request, doc: drop_expires(doc)))
    context = Context(options, BrokerClient(options.url, transport=transport))
    result = runner.run(options, checks, spec.requirements(), context=context)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from . import codec

Rewrite = Callable[[httpx.Request, httpx.Response], httpx.Response]
#: Changes a request before it is forwarded (may change it in place and return it).
Before = Callable[[httpx.Request], httpx.Request]


class RewritingTransport(httpx.BaseTransport):
    """Forwards each request to ``inner`` and passes the response through ``rewrite``."""

    def __init__(
        self,
        rewrite: Rewrite,
        inner: httpx.BaseTransport | None = None,
        *,
        before: Before | None = None,
    ) -> None:
        self.rewrite = rewrite
        self.before = before
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            request = self.before(request)
        response = self.inner.handle_request(request)
        response.read()
        return self.rewrite(request, response)

    def close(self) -> None:
        self.inner.close()


def documents(change: Callable[[httpx.Request, Any], Any]) -> Rewrite:
    """A rewrite of parsed JSON or YAML answer bodies: ``change`` returns the new document."""

    def rewrite(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        media = codec.media_type(response.headers.get("content-type", ""))
        fmt = codec.format_of(media)
        if fmt not in ("json", "yaml") or not response.content:
            return response
        try:
            doc = codec.decode(response.content, media)
        except codec.DecodeError:
            return response
        body = codec.encode(change(request, doc), fmt)
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding")
        }
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    return rewrite


class RewritingProxy:
    """An HTTP proxy on a loopback port that forwards to ``upstream`` and rewrites answers.

    Unlike :class:`RewritingTransport`, every client goes through it, the schemathesis layer
    included: point the suite at :attr:`url` to judge the faulty broker. The ``Host`` header
    is passed on, so a broker that builds its URLs from it names the proxy, not itself.
    """

    def __init__(self, upstream: str, rewrite: Rewrite, *, before: Before | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite = rewrite
        self.before = before
        self._server: Any = None
        self._thread: Any = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RewritingProxy:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        client = httpx.Client(timeout=30.0, follow_redirects=False)
        # Forward the client's headers as they are: no Accept of httpx's own (``*/*``).
        client.headers.pop("accept", None)

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
                request = client.build_request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body
                )
                if proxy.before is not None:
                    request = proxy.before(request)
                response = client.send(request)
                response.read()
                response = proxy.rewrite(request, response)
                self.send_response(response.status_code)
                skipped = (
                    "content-length",
                    "transfer-encoding",
                    "connection",
                    "content-encoding",
                    "date",  # send_response writes its own Date and Server
                    "server",
                )
                for name, value in response.headers.items():
                    if name.lower() not in skipped:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: the suite keeps its own evidence."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
