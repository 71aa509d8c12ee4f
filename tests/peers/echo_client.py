"""A third-party echo client for tests: sends random payloads to HOST:PORT
and checks they come back byte-exact. Exit 0 when they all do."""
import os
import socket
import sys


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    sizes = [1, 4096, 100000, 262144]
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        for size in sizes:
            payload = os.urandom(size)
            conn.sendall(payload)
            received = bytearray()
            while len(received) < size:
                chunk = conn.recv(size - len(received))
                if not chunk:
                    print(f"server closed after {len(received)} of {size} bytes")
                    return 1
                received += chunk
            if bytes(received) != payload:
                print(f"payload of {size} bytes came back different")
                return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
