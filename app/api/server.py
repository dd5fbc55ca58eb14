"""Serving the REST application with uvicorn from a background thread."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading

from app.core.errors import BatteryOSError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750


def check_bind_address(host: str, allow_remote: bool) -> None:
    """Loopback only, unless the user opted in to another address."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise BatteryOSError(f"{host!r} is not an IP address to listen on") from None
    if not loopback and not allow_remote:
        raise BatteryOSError(
            f"listening on {host} makes the data reachable from other machines: "
            "give --allow-remote (or tick 'allow other machines') to do that on purpose"
        )


class ApiServer:
    """uvicorn in a daemon thread; ``start()`` returns once it listens (or raises)."""

    def __init__(
        self, app, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, allow_remote: bool = False
    ):
        check_bind_address(host, allow_remote)
        self.app = app
        self.host = host
        self.port = port
        self._server = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise BatteryOSError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        self.port = sock.getsockname()[1]
        self._sock = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            limit_concurrency=1000,
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # not the main thread
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="batteryos-rest", daemon=True
        )
        self._thread.start()
        started = threading.Event()

        def wait():
            import time

            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._thread.is_alive():
                if self._server.started:
                    started.set()
                    return
                time.sleep(0.01)

        wait()
        if not started.is_set():
            self.stop()
            raise BatteryOSError(f"the REST endpoint did not start on {self.url}")
        log.info("REST endpoint at %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._thread = None
        self._server = None
        self._sock = None

    def wait(self) -> None:
        """Block until the server stops (the ``serve`` command)."""
        if self._thread is not None:
            self._thread.join()
