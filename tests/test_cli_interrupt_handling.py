"""How a command holds Ctrl-C: recorded while held, raised at checkpoints and in the blocks
that may stop at once, and never lost when Python drops it inside a callback."""

import gc
import os
import signal
import time

import pytest

from nnreg.cli import _interrupts


def send_sigint():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # Python runs the handler at its next bytecode


def test_held_interrupts_wait_for_a_checkpoint():
    with _interrupts.held():
        send_sigint()  # no KeyboardInterrupt here
        with pytest.raises(KeyboardInterrupt):
            _interrupts.checkpoint()
        _interrupts.checkpoint()  # raised once only


def test_a_block_that_may_stop_raises_at_once_and_holds_again_after():
    with _interrupts.held():
        with pytest.raises(KeyboardInterrupt), _interrupts.raised_during():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            send_sigint()
            pytest.fail("the interrupt did not stop the block")
        send_sigint()
        with pytest.raises(KeyboardInterrupt):
            _interrupts.checkpoint()


def test_an_interrupt_held_before_the_block_stops_it_before_it_starts():
    started = []
    with _interrupts.held():
        send_sigint()
        with pytest.raises(KeyboardInterrupt), _interrupts.raised_during():
            started.append(True)
    assert not started


class RaisesWhenCollected:
    """Its finaliser raises as Python's handler would inside jax's gc callback."""

    def __del__(self):
        raise KeyboardInterrupt


def test_an_interrupt_python_drops_in_a_finaliser_is_sent_again(capfd):
    with _interrupts.held():
        with pytest.raises(KeyboardInterrupt), _interrupts.raised_during():
            cycle = [RaisesWhenCollected()]
            cycle.append(cycle)
            del cycle
            gc.collect()  # the KeyboardInterrupt from __del__ is dropped here...
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # ...and must arrive again
                time.sleep(0.01)
            pytest.fail("the dropped interrupt was not sent again")
    assert "Exception ignored" not in capfd.readouterr().err


def test_handlers_are_restored_after_a_command():
    before = signal.getsignal(signal.SIGINT)
    with _interrupts.held():
        send_sigint()
    assert signal.getsignal(signal.SIGINT) is before
    _interrupts.checkpoint()  # what a finished command left recorded is gone
