"""The server part shared by the fake vendor APIs: HTTP on a free 127.0.0.1 port, in a thread.

A fake subclasses ``LoopbackServer`` and says which ``ThreadingHTTPServer`` to run
(``_make_server``); the base starts it in a daemon thread, stops it, works as a context manager and
knows the server's ``origin`` (``http://127.0.0.1:<port>``), from which each fake builds its
``base_url``. ``QuietHTTPServer`` does not wait for its request threads on close and keeps quiet
about clients that hung up (after a timeout, say).
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that neither waits for its requests on close nor reports hang-ups."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about clients that hung up."""
        del request, client_address


class LoopbackServer:
    """Runs the fake's HTTP server in a daemon thread between ``start`` and ``stop``."""

    _thread_name = "fake-server"
    _poll_interval = 0.5
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _make_server(self) -> ThreadingHTTPServer:
        """The server to run, bound to ``("127.0.0.1", 0)``."""
        raise NotImplementedError

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._httpd is None:
            msg = f"the {self._thread_name} is not running"
            raise RuntimeError(msg)
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        self._httpd = self._make_server()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name=self._thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()
