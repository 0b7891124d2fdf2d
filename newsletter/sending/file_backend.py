"""The embedded email backend: one RFC 5322 .eml file per message.

Django's own filebased backend appends every message of a connection to one log
file; one file per message is what a user can open in a mail client.
"""

import re
import threading
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

_counter_lock = threading.Lock()
_counter = 0


def _next_serial() -> int:
    global _counter
    with _counter_lock:
        _counter += 1
        return _counter


class EmlFileBackend(BaseEmailBackend):
    # Writes message().as_bytes(): newsletter.sending.prototype's finished messages are welcome.
    accepts_pre_encoded = True

    def __init__(self, *args, file_path: str | Path | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            recipient = re.sub(
                r"[^A-Za-z0-9@._-]", "_", (message.to or ["unknown"])[0]
            )[:100]
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            path = self.directory / f"{stamp}-{_next_serial():06d}-{recipient}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
