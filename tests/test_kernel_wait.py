"""The sliced wait for a kernel's reply (benchmarks/kernel_wait.py): a reply whose wake-up was lost is found at the
next slice, a wait with nothing to find still ends at its timeout, and every test process has it in place."""
import asyncio
import time
from queue import Empty

import pytest

from benchmarks import kernel_wait


class LostWakeUp:
    """A shell socket holding a reply whose wake-up a send consumed: a poll longer than a slice sleeps through it
    (as the asyncio poll does) and finds nothing; a short poll looks at the socket afresh and reads it."""

    def __init__(self, reply=True):
        self.reply, self.polls = reply, []

    async def one_poll(self, timeout=None):
        self.polls.append(timeout)
        if timeout is None or timeout > kernel_wait.SLICE_S:
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise Empty
        if self.reply:
            return {"msg_type": "execute_reply"}
        await asyncio.sleep(timeout)
        raise Empty


def test_a_reply_whose_wake_up_was_lost_is_found_at_the_next_slice():
    sock = LostWakeUp()
    get_msg = kernel_wait.sliced(LostWakeUp.one_poll)
    t = time.monotonic()
    assert asyncio.run(get_msg(sock, timeout=5))["msg_type"] == "execute_reply"
    assert time.monotonic() - t < 1 and sock.polls == [kernel_wait.SLICE_S]
    sock = LostWakeUp()
    assert asyncio.run(get_msg(sock, timeout=None))["msg_type"] == "execute_reply"   # no timeout: no wait for ever
    with pytest.raises(Empty):          # the one long poll it replaces misses the same reply
        asyncio.run(LostWakeUp().one_poll(timeout=1.0))


def test_a_wait_with_nothing_to_find_ends_at_its_timeout():
    sock = LostWakeUp(reply=False)
    get_msg = kernel_wait.sliced(LostWakeUp.one_poll)
    t = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(get_msg(sock, timeout=1.2))
    assert 1.1 < time.monotonic() - t < 2.0
    assert len(sock.polls) == 3 and max(sock.polls) <= kernel_wait.SLICE_S
    with pytest.raises(Empty):          # a zero timeout polls once
        asyncio.run(get_msg(LostWakeUp(reply=False), timeout=0))


def test_every_test_process_waits_in_slices():
    from jupyter_client.channels import AsyncZMQSocketChannel

    assert AsyncZMQSocketChannel.get_msg.sliced
    assert kernel_wait.install() is False        # once per process
