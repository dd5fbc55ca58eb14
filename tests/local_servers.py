"""Servers on 127.0.0.1 in a thread for notification tests: a webhook receiver
(http.server) and just enough of an SMTP server (socketserver)."""

from __future__ import annotations

import json
import socketserver
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server:
    """A server on 127.0.0.1 in a thread, shut down on exit.

    Its request threads are not daemons, so `server_close` joins them: a handler still
    closing its connection after the client had its answer was a thread left running
    at the end of the test (the leak check failed once under load)."""

    def __init__(self, server):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.server

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def webhook_server(fail_first: int = 0, gate: threading.Event | None = None):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            server.requests.append((self.headers["Content-Type"], json.loads(body)))
            if gate is not None:
                gate.wait(10)
            status = 503 if len(server.requests) <= fail_first else 204
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = []
    return _Server(server)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 fake ESMTP")
        envelope = {"rcpt": []}
        while line := self.rfile.readline():
            verb = line.decode().strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake")
            elif verb == "MAIL":
                envelope["from"] = line.decode().strip()
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(line.decode().strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.messages.append((envelope, message_from_bytes(data)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.messages = []
    return _Server(server)
