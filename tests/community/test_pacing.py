"""The pacer on virtual time: bot rate, one message per second per chat, 20 per minute per
group, and retry_after pausing everyone."""

from __future__ import annotations

from store.community.pacing import Limits, Pacer


class VirtualTime:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer(**limits: float) -> tuple[Pacer, VirtualTime]:
    vt = VirtualTime()
    return Pacer(Limits(**limits), monotonic=vt.monotonic, sleep=vt.sleep), vt  # type: ignore[arg-type]


def most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times[i:] if t - times[i] < window) for i in range(len(times)))


async def test_bot_rate_holds_in_every_second() -> None:
    p, vt = pacer(rate_per_second=25, burst=2)
    times = []
    for i in range(200):
        await p.wait(str(i))
        times.append(vt.now)
    assert most_in_window(times, 1.0) <= 26  # the rate plus the burst allowance
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert 24.5 <= achieved <= 25.5


async def test_one_message_per_second_per_chat() -> None:
    p, vt = pacer(rate_per_second=1000)
    await p.wait("42")
    first = vt.now
    await p.wait("7")  # another chat is not held up
    assert vt.now - first < 0.01
    await p.wait("42")
    assert vt.now - first >= 1.0


async def test_twenty_per_minute_per_group() -> None:
    p, vt = pacer(rate_per_second=1000, chat_interval_seconds=0)
    times = []
    for _ in range(41):
        await p.wait("-100", is_group=True)
        times.append(vt.now)
    assert most_in_window(times, 60.0) == 20
    assert times[20] - times[0] >= 60.0


async def test_retry_after_pauses_every_chat() -> None:
    p, vt = pacer(rate_per_second=1000)
    await p.wait("1")
    p.pause(3)
    start = vt.now
    await p.wait("2")
    assert vt.now - start >= 3
