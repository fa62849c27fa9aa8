"""A one-line progress display for a terminal; silent otherwise."""

import sys
import time


class ProgressLine:
    def __init__(self, enabled, stream=sys.stderr):
        self._enabled = enabled
        self._stream = stream
        self._last_draw = 0.0

    def reporter(self, label):
        """A ``progress(done, total, loss)`` callback for one method, or None when silent."""
        if not self._enabled:
            return None

        def report(done, total, loss):
            now = time.monotonic()
            if done < total and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            width = 24
            filled = width * done // total
            bar = "#" * filled + "." * (width - filled)
            self._stream.write(
                f"\r\033[K{label:<11} [{bar}] {done}/{total} epochs  loss {loss:.5f}"
            )
            self._stream.flush()

        return report

    def clear(self):
        if self._enabled:
            self._stream.write("\r\033[K")
            self._stream.flush()
