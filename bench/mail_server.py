"""The bench's mail server: aiosmtpd on 127.0.0.1, in a process of its own.

Writes one line per licence email accepted: the recipient and the wall-clock
time (time.time()) it arrived, so the bench reads arrivals without the mail
server sharing a process, and its interpreter lock, with the webhook posts.
Usage: python -m bench.mail_server PORT ARRIVALS_FILE
"""

import sys
import threading
import time
from email import message_from_bytes
from typing import Any, TextIO

from aiosmtpd.controller import Controller


class LicenceArrivals:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.time()
        message = message_from_bytes(envelope.original_content)
        attached = [part.get_filename() or "" for part in message.walk()]
        if any(name.startswith("LIC-") for name in attached):  # the licence, attached
            with self.lock:
                for recipient in envelope.rcpt_tos:
                    self.out.write(f"{recipient} {arrived}\n")
                self.out.flush()
        return "250 Message accepted for delivery"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a") as out:
        controller = Controller(LicenceArrivals(out), hostname="127.0.0.1", port=port)
        controller.start()
        print("ready", flush=True)
        try:
            sys.stdin.read()  # runs until the bench closes our standard input
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
