"""What a command is doing, on stderr, one stage (a method's run, a fit) at a time.

On a terminal each stage is one line, redrawn in place while it runs and left behind with
its time when it ends. Anywhere else (a pipe, CI, a log file) each stage prints plain lines:
when it starts, its epochs every few seconds, a heartbeat while a step (compiling, loading
Keras) says nothing, and when it ends. ``--quiet`` silences both.

A stage shows itself once it has run for ``ANNOUNCE_AFTER`` seconds, reported epochs, ended
or been interrupted: a stage that fails before that (nnreg.core checks the data in
milliseconds, before training) prints nothing, so the command's one-line error stands alone.
"""

import contextlib
import math
import sys
import threading
import time

BAR_WIDTH = 24
ANNOUNCE_AFTER = 0.5  # seconds a stage runs before it shows itself, unless it reports sooner


class Progress:
    def __init__(
        self, *, quiet, loss_label="train MSE", stream=None, interval=3.0, announce_after=None
    ):
        self.stream = stream or sys.stderr
        self.on_terminal = self.stream.isatty()
        self._quiet = quiet
        self.loss_label = loss_label
        self.interval = interval  # the longest silence off a terminal, in seconds
        self.announce_after = ANNOUNCE_AFTER if announce_after is None else announce_after
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def stage(self, label):
        """Show ``label`` while the block runs; yields ``report(done, total, loss)`` or None."""
        if self._quiet:
            yield None
            return
        stage = _Stage(self, label)
        stage.begin()
        try:
            yield stage.report
        except KeyboardInterrupt:
            stage.end("interrupted", shown_anyway=True)  # where Ctrl-C stopped it
            raise
        except BaseException:
            stage.end("failed")
            raise
        stage.end(f"done in {time.monotonic() - stage.started:.2f} s", shown_anyway=True)

    def write(self, text):
        with self.lock:
            self.write_unlocked(text)

    def write_locked(self, write):
        """Call ``write()``, which writes unlocked, holding the lock."""
        with self.lock:
            write()

    def write_unlocked(self, text):
        self.stream.write(text)
        self.stream.flush()


class _Stage:
    def __init__(self, progress, label):
        self.progress = progress
        self.label = label
        self.started = self.last_write = time.monotonic()
        self.stopped = threading.Event()
        self.announced = False
        self.latest = "still running"  # the last progress reported, for the heartbeat

    def begin(self):
        if self.progress.announce_after <= 0:
            self.progress.write_locked(self._announce_unlocked)
        threading.Thread(target=self._watch, daemon=True).start()

    def _announce_unlocked(self):
        if self.announced:
            return
        self.announced = True
        self.last_write = time.monotonic()
        start = (
            f"\r\033[K{self.label}…" if self.progress.on_terminal else f"{self.label}: started\n"
        )
        self.progress.write_unlocked(start)

    def report(self, done, total, loss):
        self.progress.write_locked(self._announce_unlocked)
        now = time.monotonic()
        loss = f"{loss:.5g}" if math.isfinite(loss) else "not finite (diverged)"
        if not self.progress.on_terminal:
            self.latest = f"{done}/{total} epochs, {self.progress.loss_label} {loss}"
            if done == total or now - self.last_write >= self.progress.interval:
                self.say(self.latest)
            return
        if done < total and now - self.last_write < 0.1:
            return
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.last_write = now
        self.progress.write(
            f"\r\033[K{self.label}  [{bar}] {done}/{total} epochs  "
            f"{self.progress.loss_label} {loss}"
        )

    def end(self, outcome, *, shown_anyway=False):
        with self.progress.lock:  # after this, the watcher stays silent
            self.stopped.set()
            if not (self.announced or shown_anyway):
                return  # failed before showing itself: the error line stands alone
            self._announce_unlocked()
            start = "\r\033[K" if self.progress.on_terminal else ""
            self.progress.write_unlocked(f"{start}{self.label}: {outcome}\n")

    def say(self, text):
        self.last_write = time.monotonic()
        self.progress.write(f"{self.label}: {text}\n")

    def _watch(self):
        """Show the stage once it has run a while; off a terminal, then keep a heartbeat."""
        if self.stopped.wait(self.progress.announce_after):
            return
        with self.progress.lock:
            if self.stopped.is_set():
                return
            self._announce_unlocked()
        if self.progress.on_terminal:
            return
        while not self.stopped.wait(self.progress.interval / 4):
            with self.progress.lock:
                now = time.monotonic()
                if self.stopped.is_set() or now - self.last_write < self.progress.interval:
                    continue
                self.last_write = now
                elapsed = f"{now - self.started:.0f} s"
                self.progress.write_unlocked(f"{self.label}: {self.latest} ({elapsed})\n")
