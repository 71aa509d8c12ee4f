"""A misbehaving echo server for tests of the stream workload's checks.

usage: python3 bad_echo.py MODE PORT
  flip      echoes every byte but flips the 1001st of each connection
  extra     echoes every byte, then one byte more after the first read
  zeros     never echoes; sends zeros as fast as the client reads
  greeting  sends "hello\\n" first, then echoes
  stall     echoes for 0.6 s after the connection is accepted, then never
            reads or sends again (a server that stopped answering)
Prints "listening on 127.0.0.1:PORT" once listening; one thread per
connection; binds 127.0.0.1 only.
"""
import socket
import sys
import threading
import time

FLIP_AT = 1000
STALL_AFTER_S = 0.6


def serve(conn: socket.socket, mode: str) -> None:
    """Serves one connection in MODE until the client goes away."""
    seen = 0
    accepted_at = time.monotonic()
    try:
        if mode == "greeting":
            conn.sendall(b"hello\n")
        if mode == "zeros":
            zeros = bytes(65536)
            while True:
                conn.sendall(zeros)
        while True:
            if mode == "stall" and time.monotonic() - accepted_at >= STALL_AFTER_S:
                time.sleep(3600)  # stopped answering; the trial kills the process
            data = conn.recv(65536)
            if not data:
                return
            if mode == "flip" and seen <= FLIP_AT < seen + len(data):
                data = bytearray(data)
                data[FLIP_AT - seen] ^= 0xFF
                data = bytes(data)
            if mode == "extra" and seen == 0:
                data += b"!"
            seen += len(data)
            conn.sendall(data)
    except OSError:
        return
    finally:
        conn.close()


def main() -> None:
    """Listens on 127.0.0.1:PORT and serves every connection in MODE."""
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode not in ("flip", "extra", "zeros", "greeting", "stall"):
        sys.exit("bad_echo.py: unknown mode %r" % mode)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print("listening on 127.0.0.1:%d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
