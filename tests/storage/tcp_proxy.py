"""A TCP forwarder on 127.0.0.1 that a test can cut and restore: a database
server that becomes unreachable and comes back, without stopping the shared server."""

from __future__ import annotations

import selectors
import socket
import threading


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target``; one thread, stopped by :meth:`close`.

    :meth:`cut` drops every connection and refuses new ones (connection
    refused, like a stopped server); :meth:`restore` listens again on the same port.
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._lock = threading.Lock()
        self._requests: list[tuple[str, threading.Event]] = []
        self._peers: dict[socket.socket, socket.socket] = {}
        self._listener: socket.socket | None = None
        self.port = self._listen(0)
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self._thread.start()

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener
        self._sel.register(listener, selectors.EVENT_READ, ("accept", None))
        return listener.getsockname()[1]

    def _request(self, what: str) -> None:
        done = threading.Event()
        with self._lock:
            self._requests.append((what, done))
        self._wake_w.send(b"x")
        assert done.wait(10), f"proxy did not {what}"

    def cut(self) -> None:
        self._request("cut")

    def restore(self) -> None:
        self._request("restore")

    def close(self) -> None:
        self._request("stop")
        self._thread.join(10)
        self._wake_r.close()
        self._wake_w.close()

    # --- proxy thread ---------------------------------------------------------
    def _drop_all(self) -> None:
        for sock in list(self._peers):
            self._sel.unregister(sock)
            sock.close()
        self._peers.clear()
        if self._listener is not None:
            self._sel.unregister(self._listener)
            self._listener.close()
            self._listener = None

    def _run(self) -> None:
        while True:
            for key, _ in self._sel.select():
                kind, _ = key.data
                if kind == "wake":
                    self._wake_r.recv(64)
                    with self._lock:
                        requests, self._requests = self._requests, []
                    for what, done in requests:
                        if what in ("cut", "stop"):
                            self._drop_all()
                        elif what == "restore" and self._listener is None:
                            self._listen(self.port)
                        done.set()
                        if what == "stop":
                            self._sel.close()
                            return
                    break  # the registered sockets may have changed
                if kind == "accept":
                    self._accept()
                elif key.fileobj in self._peers:
                    self._pump(key.fileobj)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(True)
            sock.settimeout(5)
        self._peers[client] = upstream
        self._peers[upstream] = client
        self._sel.register(client, selectors.EVENT_READ, ("pump", None))
        self._sel.register(upstream, selectors.EVENT_READ, ("pump", None))

    def _pump(self, sock: socket.socket) -> None:
        other = self._peers[sock]
        try:
            data = sock.recv(65536)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        for s in (sock, other):
            self._sel.unregister(s)
            s.close()
            self._peers.pop(s, None)
