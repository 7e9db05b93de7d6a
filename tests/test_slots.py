"""Slots: an async semaphore that holds across event loops, first come first served."""

import asyncio
import threading
import time

import pytest

from zeroshot_tags.web.slots import Slots


def test_at_most_count_holders_at_once_across_event_loops():
    slots, lock = Slots(2), threading.Lock()
    inside, most = [0], [0]

    async def hold():
        async with slots:
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            await asyncio.sleep(0.02)
            with lock:
                inside[0] -= 1

    async def several():
        await asyncio.gather(*(hold() for _ in range(4)))

    threads = [threading.Thread(target=asyncio.run, args=(several(),)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 2 and inside[0] == 0


def test_waiters_are_served_in_order_and_a_cancelled_one_gives_up_its_place():
    async def scenario():
        slots, order = Slots(1), []

        async def take(name):
            async with slots:
                order.append(name)
                await asyncio.sleep(0.01)

        async with slots:
            first = asyncio.create_task(take("first"))
            cancelled = asyncio.create_task(take("cancelled"))
            last = asyncio.create_task(take("last"))
            await asyncio.sleep(0.01)
            cancelled.cancel()
        await asyncio.gather(first, last)
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        return order, slots

    order, slots = asyncio.run(scenario())
    assert order == ["first", "last"]
    assert slots._free == 1 and not slots._waiting


def test_a_slot_handed_to_a_waiter_cancelled_meanwhile_is_passed_on():
    async def scenario():
        slots = Slots(1)
        await slots.__aenter__()
        waiter = asyncio.create_task(slots.__aenter__())
        await asyncio.sleep(0.01)
        await slots.__aexit__(None, None, None)  # hands the slot to the waiter...
        waiter.cancel()  # ...which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return slots

    slots = asyncio.run(scenario())
    assert slots._free == 1 and not slots._waiting


def test_a_slot_frees_up_for_a_waiter_on_another_loop():
    slots = Slots(1)
    taken = threading.Event()

    async def hold_briefly():
        async with slots:
            taken.set()
            await asyncio.sleep(0.2)

    holder = threading.Thread(target=asyncio.run, args=(hold_briefly(),))
    holder.start()
    assert taken.wait(5)

    async def take():
        started = time.monotonic()
        async with slots:
            return time.monotonic() - started

    waited = asyncio.run(take())
    holder.join(5)
    assert 0.1 < waited < 5
