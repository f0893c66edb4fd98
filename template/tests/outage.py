"""Play an outage of a real service: a TCP relay on 127.0.0.1 in front of it that can be cut.

The application under test connects through the relay. `refuse()` closes the port and every
connection through it (a service that is down), `hang()` accepts connections and never answers
(a service behind a dead network), `restore()` relays again (the service is back).
"""

import selectors
import socket
import threading
from contextlib import suppress

BUFFER = 64 * 1024


class Relay:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.mode = "relay"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self.port = self._listen(0)
        self._thread = threading.Thread(target=self._serve, name="outage-relay", daemon=True)
        self._thread.start()

    # what the tests call ---------------------------------------------------------------

    def refuse(self) -> None:
        """Close the port and drop every open connection: connecting is refused."""
        with self._lock:
            self.mode = "refuse"
            self._close_all()
            self._close_listener()

    def hang(self) -> None:
        """Drop open connections; accept new ones but never answer."""
        with self._lock:
            self.mode = "hang"
            self._close_all()
            self._listen(self.port)  # after refuse(); else the port stays open all along

    def restore(self) -> None:
        with self._lock:
            self.mode = "relay"
            self._close_all()
            self._listen(self.port)

    def close(self) -> None:
        self._stopped.set()
        with self._lock:
            self._close_all()
            self._close_listener()
        self._thread.join(timeout=5)

    # plumbing ----------------------------------------------------------------------------

    def _listen(self, port: int) -> int:
        if self._listener is None:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen(64)
            listener.setblocking(False)
            self._listener = listener
        return self._listener.getsockname()[1]

    def _close_all(self) -> None:
        """Close every connection through the relay."""
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()
        self._sockets.clear()

    def _close_listener(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.close()
        self._listener = None

    def _serve(self) -> None:
        pairs: dict[socket.socket, socket.socket] = {}
        while not self._stopped.is_set():
            selector = selectors.DefaultSelector()
            # Registered under the lock: the tests close sockets from their own thread, and a
            # socket closed between its check and its registration would end this thread.
            with self._lock:
                listener = self._listener
                pairs = {a: b for a, b in pairs.items() if a in self._sockets}
                # Hung connections are not watched: nobody reads them.
                for sock in (listener, *pairs):
                    if sock is not None and sock.fileno() >= 0:
                        selector.register(sock, selectors.EVENT_READ)
            try:
                events = selector.select(timeout=0.05)
            finally:
                selector.close()
            for key, _ in events:
                sock = key.fileobj
                if sock is listener:
                    self._accept(listener, pairs)
                elif sock in pairs:
                    self._pump(sock, pairs)

    def _accept(self, listener: socket.socket, pairs: dict[socket.socket, socket.socket]) -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        with self._lock:
            if self.mode == "hang":
                self._sockets.add(client)  # held open, never read, never answered
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                return
            self._sockets.update((client, upstream))
        pairs[client], pairs[upstream] = upstream, client

    def _pump(self, sock: socket.socket, pairs: dict[socket.socket, socket.socket]) -> None:
        other = pairs[sock]
        try:
            data = sock.recv(BUFFER)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        with self._lock:
            for end in (sock, other):
                with suppress(OSError):
                    end.close()
                self._sockets.discard(end)
