"""How log lines look: ``time level logger: message`` by default, one JSON object per
line with LOG_FORMAT=json (config/settings.py LOGGING). Both carry the id of the
daily run a line belongs to (lib.run_id): ``[run 3f2a…]`` at the end of a plain line,
``"run_id"`` in a JSON one.
"""

import logging

from lib import run_id

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RunIdFilter(logging.Filter):
    """Stamps each record with the current run's id, when a run is current."""

    def filter(self, record: logging.LogRecord) -> bool:
        run = run_id.current()
        if run is not None and not hasattr(record, "run_id"):
            record.run_id = run.id
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self, fmt: str = PLAIN, **kwargs):
        super().__init__(fmt, **kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        run = getattr(record, "run_id", None)
        return f"{line} [run {run}]" if run else line
