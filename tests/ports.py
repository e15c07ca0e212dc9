"""A free TCP port on 127.0.0.1, for the servers and processes tests start."""

import socket


def free_port() -> int:
    # Bound then released: the caller's server takes it a moment later. Only
    # for servers that bind by number (moto, gunicorn, aiosmtpd); anything we
    # listen on ourselves binds port 0 and keeps its socket.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
