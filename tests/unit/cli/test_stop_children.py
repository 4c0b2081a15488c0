"""Stopping the processes ``jobraker up`` started: politely, then firmly, then by force."""

import subprocess
import sys

from jobraker_cli.main import Child, stop_children

# The child restores Python's SIGINT handler: a shell that starts the tests in the background
# (no job control) makes them ignore SIGINT, and a child would inherit that.
IGNORE_TERM = (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler);"
    " signal.signal(signal.SIGTERM, signal.SIG_IGN)"
)
IGNORE_BOTH = IGNORE_TERM + "; signal.signal(signal.SIGINT, signal.SIG_IGN)"


def _child(setup="pass"):
    code = f"{setup}; import time; print('ready', flush=True); time.sleep(120)"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout.readline() == b"ready\n"
    return Child("test child", process)


def _close(child):
    child.process.stdout.close()
    return child.process.returncode


def test_sigterm_is_enough_for_a_well_behaved_child():
    """A child that stops on SIGTERM is stopped by it."""
    child = _child()
    stop_children([child], grace=30, kill_grace=30)
    assert _close(child) == -15


def test_a_child_ignoring_sigterm_gets_sigint():
    """A child still running after the grace period gets SIGINT (RQ's cold shutdown)."""
    child = _child(IGNORE_TERM)
    stop_children([child], grace=0.5, kill_grace=30)
    assert _close(child) == -2  # died of the SIGINT (an uncaught KeyboardInterrupt)


def test_a_child_ignoring_everything_is_killed(capsys):
    """A child ignoring both signals is killed, and the user is told."""
    child = _child(IGNORE_BOTH)
    stop_children([child], grace=0.5, kill_grace=0.5)
    assert _close(child) == -9
    assert "still running" in capsys.readouterr().err


def test_children_that_already_exited_are_left_alone():
    """Stopping a child that is gone is a no-op."""
    child = _child()
    child.process.kill()
    child.process.wait()
    stop_children([child], grace=0.5, kill_grace=0.5)
    assert _close(child) == -9
