"""The app's outer guard: request size, host and origin checks, security headers.

A pure ASGI middleware, outside everything else, so that a request is refused before any
of it is parsed:

- a body over ``max_body`` bytes (announced by ``Content-Length`` or counted as it arrives)
  gets a 413 problem, and the app never sees it;
- a ``Host`` header that is not one of ``allowed_hosts`` gets a 400 problem (a page on
  another site cannot reach the app through DNS rebinding);
- a body whose next part does not arrive within ``body_timeout`` seconds gets a 408
  problem (a slow client cannot hold a request open);
- a state-changing request (not GET, HEAD or OPTIONS) whose ``Origin`` is another site gets
  a 403 problem (no cross-site request forgery);
- every response carries ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``, a
  ``Content-Security-Policy`` that allows this origin only, and forbids framing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from factions.web.problems import problem_response

__all__ = ["LOCAL_HOSTS", "MAX_BODY", "Guard"]

#: The largest request body accepted, in bytes.
MAX_BODY = 2 * 1024 * 1024

#: Host names that always reach the app.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _host_name(host: str) -> str:
    """The name part of a Host header: ``[::1]:8000`` -> ``::1``, ``a:80`` -> ``a``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """Size, host and origin checks, and security headers (see the module's text)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY,
        allowed_hosts: Iterable[str] | None = None,
        body_timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout
        hosts = {h.lower().strip("[]") for h in (allowed_hosts or ())}
        self.any_host = "*" in hosts
        self.hosts = hosts | set(LOCAL_HOSTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("X-Content-Type-Options", "nosniff")
                h.setdefault("Referrer-Policy", "no-referrer")
                h.setdefault("X-Frame-Options", "DENY")
                h.setdefault("Content-Security-Policy", CSP)
            await send(message)

        async def refuse(status: int, detail: str, kind: str) -> None:
            response = problem_response(status, detail, kind=kind, headers={"Connection": "close"})
            await response(scope, receive, send_with_headers)

        host = headers.get("host", "")
        if not self.any_host and _host_name(host) not in self.hosts:
            await refuse(400, "this server answers only to its local host names", "bad-host")
            return
        method = scope.get("method", "GET")
        origin = headers.get("origin")
        if method not in _SAFE_METHODS and origin is not None:
            parts = urlsplit(origin)
            if origin == "null" or parts.netloc.lower() != host.lower():
                await refuse(403, "cross-site requests are not accepted", "cross-site")
                return
        too_large = f"the request body is larger than {self.max_body} bytes"
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await refuse(400, "invalid Content-Length", "bad-request")
                return
            if int(length) > self.max_body:
                await refuse(413, too_large, "too-large")
                return
        # Read the whole body (at most max_body bytes) before the app sees any of it.
        buffered: list[Message] = []
        size = 0
        while True:
            try:
                # A client that stops sending its body does not hold the request open.
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                await refuse(408, "the request body did not arrive in time", "timeout")
                return
            if message["type"] != "http.request":  # the client went away
                return
            size += len(message.get("body", b""))
            if size > self.max_body:
                await refuse(413, too_large, "too-large")
                return
            buffered.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send_with_headers)


def guard_options(host: str) -> dict[str, Any]:
    """The guard's ``allowed_hosts`` for a server bound to ``host``."""
    if host in ("0.0.0.0", "::", ""):
        return {"allowed_hosts": ["*"]}
    return {"allowed_hosts": [host]}
