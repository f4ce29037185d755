"""A provider stand-in's HTTP server on 127.0.0.1, at a free port, in a thread of the test process (so a worker
in another process reaches it too)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    """Serves `handler` (given `state` as a class attribute) while the `with` block runs."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], state) -> None:
        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (handler,), {"state": state}))
        self.httpd.daemon_threads = True
        self.endpoint = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.base_url = f"http://{self.endpoint}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping()
        self.httpd.shutdown()
        self.httpd.server_close()

    def stopping(self) -> None:
        """Let hanging handlers go before shutting down (none by default)."""
