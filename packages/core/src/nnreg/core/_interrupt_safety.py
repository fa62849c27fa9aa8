"""Ctrl-C while XLA computes or compiles: held until nothing runs, or raised at once.

An interrupt that unwinds while XLA still runs can crash the interpreter on its way out,
and XLA's compilation holds the calling thread with no Python signal handler running.
"""

import contextlib
import signal
import threading


def compile_interruptibly(lower, interrupted):
    """Compile the chunk ``lower()`` traces, on another thread, so that Ctrl-C need not wait.

    XLA's compilation holds the calling thread for a second or more and no Python signal
    handler runs meanwhile. Tracing stays on this thread, under the caller's JAX settings;
    the jitted chunk then finds the compiled program in its cache (or in the persistent
    compilation cache). On Ctrl-C, KeyboardInterrupt is raised at once and the compilation
    finishes unobserved: the thread is not a daemon, so an interpreter that exits normally
    waits for it rather than tearing XLA down under it.
    """
    lowered = lower()
    failure = []

    def compile_lowered():
        try:
            lowered.compile()
        except BaseException as err:  # re-raised on the caller's thread
            failure.append(err)

    compiling = threading.Thread(target=compile_lowered, name="nnreg-compile")
    compiling.start()
    while compiling.is_alive():
        compiling.join(0.02)
        if interrupted():
            raise KeyboardInterrupt
    if failure:
        raise failure[0]


@contextlib.contextmanager
def interrupts_held():
    """Hold Ctrl-C while chunks compute; yield a check for whether one arrived.

    The loop raises KeyboardInterrupt itself once nothing computes: an interrupt that
    unwinds while XLA still runs can crash the interpreter on its way out. Chunks last a
    fraction of a second, so the wait is short. Only the main thread can install a handler,
    and only Python's default one is replaced.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:  # one that arrived after the last chunk was read
        raise KeyboardInterrupt
