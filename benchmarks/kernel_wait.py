"""A notebook kernel's reply, waited for in slices.

nbclient (and papermill, which runs on it) waits for a cell's ``execute_reply`` with one ``poll`` on the kernel's
shell socket (``jupyter_client``'s ``AsyncZMQSocketChannel.get_msg``). When a cell shows an ipywidgets ``Output``,
nbclient also *sends* on that socket (the widget's state) while the poll is pending. A zmq socket wakes its waiters
through one edge-triggered file descriptor, and that send can consume the edge the reply raised: the reply sits in
the socket and the poll sleeps on, until the cell's timeout or for ever. Measured on this course's notebooks under
load: 24 of 800 Output-widget cells stalled so (and with ipykernel 6.31 as with 7.4), none once the wait is cut into
half-second polls, each of which looks at the socket afresh.

``install()`` puts that sliced wait in place for the process; the benchmarks' Run All and the tests that run a
notebook through nbclient or papermill call it. nbval's blocking client polls level-triggered and needs nothing.
"""
from __future__ import annotations

import time
from queue import Empty

SLICE_S = 0.5


def sliced(one_poll):
    """``one_poll(channel, timeout)`` (one poll, then the message or ``Empty``) as a wait of the same timeout cut
    into polls of at most ``SLICE_S``: each looks at the socket afresh."""

    async def get_msg(self, timeout: float | None = None):
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            step = SLICE_S if end is None else min(SLICE_S, max(0.0, end - time.monotonic()))
            try:
                return await one_poll(self, timeout=step)
            except Empty:
                if end is not None and time.monotonic() >= end:
                    raise

    get_msg.sliced = True
    get_msg.one_poll = one_poll
    return get_msg


def install() -> bool:
    """Make ``AsyncZMQSocketChannel.get_msg`` wait in slices of ``SLICE_S``; True when it was installed now, False
    when it already was (or jupyter_client is not installed)."""
    try:
        from jupyter_client.channels import AsyncZMQSocketChannel
    except ImportError:
        return False
    if getattr(AsyncZMQSocketChannel.get_msg, "sliced", False):
        return False
    AsyncZMQSocketChannel.get_msg = sliced(AsyncZMQSocketChannel.get_msg)
    return True
