"""ASGI middleware of the endpoint: request size limit and the request log.

Plain ASGI (not Starlette's BaseHTTPMiddleware): it costs a few microseconds a
request, which matters at thousands of requests a second.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestLogEntry:
    time: float  #: wall clock, time.time()
    client: str
    method: str
    path: str
    status: int
    duration_ms: float
    user: str | None


class RequestLog:
    """The last requests, newest last; read by the Sharing panel."""

    def __init__(self, size: int = 500):
        self._entries: deque[RequestLogEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.total = 0

    def add(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            self.total += 1

    def entries(self) -> list[RequestLogEntry]:
        with self._lock:
            return list(self._entries)


class _TooLarge(Exception):
    pass


async def _send_json(send, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class LimitAndLog:
    def __init__(self, app, *, max_body_bytes: int, log: RequestLog):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.log = log

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500, "started": False}
        limit = self.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    await _send_json(send, 413, {"error": f"request body over {limit} bytes"})
                    self._log(scope, 413, start)
                    return
        seen = 0

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def watched_send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if not status["started"]:
                await _send_json(send, 413, {"error": f"request body over {limit} bytes"})
            status["code"] = 413
        finally:
            self._log(scope, status["code"], start)

    def _log(self, scope, status: int, start: float) -> None:
        client = scope.get("client")
        user = (scope.get("state") or {}).get("user")
        self.log.add(
            RequestLogEntry(
                time=time.time(),
                client=f"{client[0]}:{client[1]}" if client else "",
                method=scope.get("method", ""),
                path=scope.get("path", ""),
                status=status,
                duration_ms=(time.perf_counter() - start) * 1e3,
                user=getattr(user, "name", None),
            )
        )
