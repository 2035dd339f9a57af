"""FrameHub fan-out over a real Redis: one subscription per camera, distinct frames, slow viewers drop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest
import redis
import redis.asyncio as aioredis
import simplejpeg

from videohar.bus.frames import FrameHub, FramePublisher, mjpeg_parts, read_latest
from videohar.bus.keys import BOXED_IMAGE, frame_channel


class Publisher:
    """Publishes real demo JPEGs at `fps` in a thread, like an ingest process would."""

    def __init__(self, client: redis.Redis, frames: list[bytes], camera_id: int, fps: float, kind: str) -> None:
        self.stop = threading.Event()
        publisher = FramePublisher(client, kind=kind)

        def run() -> None:
            i = 0
            while not self.stop.wait(1.0 / fps):
                publisher.publish(camera_id, frames[i % len(frames)], width=384, height=288)
                i += 1

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def publish(redis_client: redis.Redis, demo_frames: list[bytes]):
    started: list[Publisher] = []

    def start(camera_id: int, fps: float = 25.0, kind: str = "latest_frame") -> Publisher:
        started.append(Publisher(redis_client, demo_frames, camera_id, fps, kind))
        return started[-1]

    yield start
    for publisher in started:
        publisher.close()


def run(coro):
    # A fresh thread owns its own event loop, whatever a previous test (Playwright) left in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, 30)).result()


async def _numsub(client: aioredis.Redis, channel: str) -> int:
    return dict(await client.pubsub_numsub(channel))[channel.encode()]


def test_twenty_viewers_get_distinct_frames_over_one_subscription(redis_url, publish):
    publish(1, fps=25)

    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        hub = FrameHub(client)
        viewers = [await hub.subscribe(1) for _ in range(20)]

        async def watch(viewer) -> list[int]:
            seqs = []
            while len(seqs) < 15:
                frame = await viewer.next(timeout=5)
                assert frame is not None, "viewer starved"
                seqs.append(frame.meta.seq)
            return seqs

        results = await asyncio.gather(*(watch(v) for v in viewers))
        for seqs in results:
            assert seqs == sorted(set(seqs)), "a frame was delivered twice or out of order"
        assert hub.subscriptions() == {(1, "latest_frame"): 20}
        assert await _numsub(client, frame_channel(1)) == 1  # one subscription for all twenty
        for viewer in viewers:
            viewer.close()
        assert hub.subscriptions() == {}
        for _ in range(50):
            if await _numsub(client, frame_channel(1)) == 0:
                break
            await asyncio.sleep(0.05)
        assert await _numsub(client, frame_channel(1)) == 0  # unsubscribed with the last viewer
        await hub.close()
        await client.aclose()

    run(scenario())


def test_a_stalled_viewer_neither_blocks_others_nor_hoards_frames(redis_url, publish):
    publish(2, fps=25)

    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        hub = FrameHub(client)
        stalled = await hub.subscribe(2)  # never reads
        active = await hub.subscribe(2)
        got = []
        while len(got) < 40:
            frame = await active.next(timeout=5)
            assert frame is not None
            got.append(frame.meta.seq)
        assert got == sorted(set(got))
        assert stalled._slot is not None and stalled.dropped >= 30  # holds one frame, the rest dropped
        newest = (await stalled.next()).meta.seq
        assert newest >= got[-2]  # what it holds is the latest, not the oldest
        await hub.close()
        await client.aclose()

    run(scenario())


def test_mjpeg_parts_and_boxed_images(redis_url, redis_client, publish):
    publish(3, fps=20, kind=BOXED_IMAGE)

    async def scenario() -> list[bytes]:
        client = aioredis.Redis.from_url(redis_url)
        hub = FrameHub(client)
        stream = mjpeg_parts(hub, 3, BOXED_IMAGE)
        parts = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        assert hub.subscriptions() == {}
        await hub.close()
        await client.aclose()
        return parts

    parts = run(scenario())
    assert len(set(parts)) == 3
    for part in parts:
        head, _, rest = part.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"--frame" and lines[1] == b"Content-Type: image/jpeg"
        length = int(lines[2].split(b":")[1])
        assert rest.endswith(b"\r\n") and len(rest) == length + 2
        assert simplejpeg.decode_jpeg(rest[:-2]).shape == (288, 384, 3)
    assert read_latest(redis_client, 3) is None  # boxed images do not touch the raw-frame key
    assert read_latest(redis_client, 3, BOXED_IMAGE) is not None


def test_viewer_of_an_offline_camera_gets_nothing_until_it_publishes(redis_url, redis_client):
    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        hub = FrameHub(client)
        viewer = await hub.subscribe(4)
        assert await viewer.next(timeout=0.5) is None
        FramePublisher(redis_client).publish(4, b"\xff\xd8fake\xff\xd9", width=2, height=2)
        frame = await viewer.next(timeout=5)
        assert frame is not None and frame.meta.seq == 1
        await hub.close()
        await client.aclose()

    run(scenario())
