"""Recognition schedules and the pose input size: when a camera is analysed, and at what network size.

The schedule is wall-clock time in an IANA zone (zoneinfo), so DST and windows past midnight are
checked on real instants; the pipeline and the worker service are run on real demo-clip frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import av
import pytest
import redis
import simplejpeg

from peers.roles import running_roles
from peers.waiting import wait_for
from videohar.bus import keys
from videohar.bus.frames import Frame, FrameMeta, read_latest
from videohar.cameras.schemas import CameraSchedule, CameraSettings
from videohar.supervisor import DEMO_CLIP
from videohar.worker.config import AreaConfig, WorkerCamera

# Recognition does not depend on the database engine: the tests that need one run once, on SQLite.
on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PASSWORD = "correct horse battery"


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def schedule(zone: str, *windows: tuple[list[str], str, str]) -> CameraSchedule:
    return CameraSchedule(timezone=zone, windows=[{"days": d, "start": s, "end": e} for d, s, e in windows])


# --- schedule evaluation ---------------------------------------------------------------------------


def test_no_windows_means_always() -> None:
    assert CameraSchedule().active_at(datetime(2026, 6, 1, 3, 0, tzinfo=UTC))


def test_office_hours_follow_the_zone_and_its_daylight_saving() -> None:
    office = schedule("Europe/Berlin", (["mon", "tue", "wed", "thu", "fri"], "08:00", "18:00"))
    # Monday 2 March 2026 (CET, UTC+1) and Monday 6 July 2026 (CEST, UTC+2): same wall clock, other UTC
    assert office.active_at(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))  # 08:30 local
    assert not office.active_at(datetime(2026, 3, 2, 6, 30, tzinfo=UTC))  # 07:30 local
    assert office.active_at(datetime(2026, 7, 6, 6, 30, tzinfo=UTC))  # 08:30 local in summer
    assert not office.active_at(datetime(2026, 7, 6, 16, 30, tzinfo=UTC))  # 18:30 local
    assert not office.active_at(local("Europe/Berlin", 2026, 3, 7, 12, 0))  # Saturday
    assert office.active_at(local("Europe/Berlin", 2026, 3, 6, 17, 59))
    assert not office.active_at(local("Europe/Berlin", 2026, 3, 6, 18, 0))  # the end is exclusive


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    night = schedule("Asia/Tokyo", (["fri"], "22:00", "06:00"))
    assert night.active_at(local("Asia/Tokyo", 2026, 3, 6, 23, 0))  # Friday night
    assert night.active_at(local("Asia/Tokyo", 2026, 3, 7, 5, 59))  # Saturday early morning
    assert not night.active_at(local("Asia/Tokyo", 2026, 3, 7, 6, 0))
    assert not night.active_at(local("Asia/Tokyo", 2026, 3, 6, 21, 59))
    assert not night.active_at(local("Asia/Tokyo", 2026, 3, 5, 23, 0))  # Thursday night is not listed
    assert not night.active_at(local("Asia/Tokyo", 2026, 3, 6, 5, 0))  # Friday morning belongs to Thursday
    # the same instant seen from UTC: Friday 23:00 in Tokyo is Friday 14:00 UTC
    assert night.active_at(datetime(2026, 3, 6, 14, 0, tzinfo=UTC))
    whole_day = schedule("UTC", (["sun"], "00:00", "00:00"))
    assert whole_day.active_at(datetime(2026, 3, 8, 23, 59, tzinfo=UTC))
    assert not whole_day.active_at(datetime(2026, 3, 9, 0, 0, tzinfo=UTC))


def test_daylight_saving_gaps_and_repeats_are_wall_clock() -> None:
    # New York springs forward on 8 March 2026 (02:00 -> 03:00) and falls back on 1 November (02:00 -> 01:00)
    early = schedule("America/New_York", (["sun"], "01:30", "02:30"))
    assert early.active_at(datetime(2026, 3, 8, 6, 45, tzinfo=UTC))  # 01:45 EST
    assert not early.active_at(datetime(2026, 3, 8, 7, 15, tzinfo=UTC))  # 03:15 EDT: 02:xx never happened
    # 01:45 happens twice on the fall-back night (EDT, then EST an hour later): both instants are inside
    assert early.active_at(datetime(2026, 11, 1, 5, 45, tzinfo=UTC))
    assert early.active_at(datetime(2026, 11, 1, 6, 45, tzinfo=UTC))
    assert not early.active_at(datetime(2026, 11, 1, 7, 35, tzinfo=UTC))  # 02:35 EST


@pytest.mark.parametrize(
    "bad",
    [
        {"timezone": "Mars/Olympus"},
        {"timezone": "America"},  # a folder of the zone database, not a zone
        {"timezone": "../../etc/passwd"},
        {"windows": [{"days": [], "start": "08:00", "end": "09:00"}]},
        {"windows": [{"days": ["monday"], "start": "08:00", "end": "09:00"}]},
        {"windows": [{"start": "24:00", "end": "09:00"}]},
        {"windows": [{"start": "8:00", "end": "09:00"}]},
        {"windows": [{"start": "08:00"}]},
        {"windows": [{"start": "08:00", "end": "09:00", "note": "x"}]},
        {"windows": "always"},
    ],
)
def test_bad_schedules_are_rejected(bad: dict) -> None:
    with pytest.raises(ValueError):
        CameraSettings.model_validate({"schedule": bad})


# --- the pipeline on real frames ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_jpegs() -> list[bytes]:
    out = []
    with av.open(str(DEMO_CLIP)) as container:
        for frame in container.decode(video=0):
            out.append(simplejpeg.encode_jpeg(frame.to_ndarray(format="rgb24"), quality=80))
            if len(out) == 16:
                break
    return out


WHOLE_FRAME = ((0.0, 0.0), (768.0, 0.0), (768.0, 576.0), (0.0, 576.0))


def _camera_row(name: str, settings: CameraSettings) -> int:
    """A camera with one focus area over the whole frame that reacts to intrusion; returns its id."""
    from videohar.auth.users import create_user
    from videohar.db.models import Area, Camera, Role, User
    from videohar.db.session import session_scope

    with session_scope() as db:
        owner = db.query(User).filter_by(username="owner").one_or_none() or create_user(
            db, username="owner", email="o@example.com", password=PASSWORD, role=Role.operator
        )
        cam = Camera(
            owner_id=owner.id, name=name, stream_url=DEMO_CLIP.resolve().as_uri(), settings=settings.model_dump()
        )
        db.add(cam)
        db.flush()
        points = [list(p) for p in WHOLE_FRAME]
        db.add(Area(camera_id=cam.id, name="everywhere", kind="polygon", points=points, actions=["intrusion"]))
        return cam.id


def _worker_camera(camera_id: int, settings: CameraSettings) -> WorkerCamera:
    from videohar.db.models import Area
    from videohar.db.session import session_scope

    with session_scope() as db:
        area_id = db.query(Area.id).filter_by(camera_id=camera_id).scalar()
    area = AreaConfig(area_id, "everywhere", WHOLE_FRAME, "#00ff00", frozenset({"intrusion"}), 1.0)
    return WorkerCamera(camera_id, f"cam {camera_id}", True, settings, (area,), 1)


def _feed(pipeline, jpegs: list[bytes], start: datetime, seq0: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    published = []
    t0 = start.timestamp()
    for i, jpeg in enumerate(jpegs):
        meta = FrameMeta(seq=seq0 + i, captured_at=t0 + i / 10, published_at=t0 + i / 10, width=768, height=576)
        published.append(pipeline.process(Frame(jpeg, meta), now=t0 + i / 10))
    return published


def _events(camera_id: int) -> list[tuple[str, bool]]:
    from videohar.db.models import Event
    from videohar.db.session import session_scope

    with session_scope() as db:
        return [(e.label, e.ended_at is not None) for e in db.query(Event).filter_by(camera_id=camera_id)]


@on_sqlite
def test_outside_its_schedule_a_camera_streams_but_nothing_is_analysed(clean_state, redis_url, demo_jpegs):
    from videohar.config import get_settings
    from videohar.worker.camera import CameraPipeline

    r = redis.Redis.from_url(redis_url)
    media = get_settings().media_path
    office = {"timezone": "Europe/Berlin", "windows": [{"days": ["mon"], "start": "08:00", "end": "18:00"}]}
    settings = CameraSettings(actions=["intrusion"], schedule=office)
    inside_id, outside_id = _camera_row("inside", settings), _camera_row("outside", settings)
    inside = CameraPipeline(_worker_camera(inside_id, settings), r, media)
    outside = CameraPipeline(_worker_camera(outside_id, settings), r, media)
    live = r.pubsub(ignore_subscribe_messages=True)
    live.subscribe(keys.EVENTS_CHANNEL)

    monday_noon = local("Europe/Berlin", 2026, 3, 2, 12, 0)
    monday_night = local("Europe/Berlin", 2026, 3, 2, 20, 0)
    _feed(inside, demo_jpegs, monday_noon, 1)
    passed = _feed(outside, demo_jpegs, monday_night, 1)

    assert inside.stats.analysed == len(demo_jpegs) and inside.people_count > 0
    assert inside.status()["state"] == "analysing"
    assert ("intrusion", False) in _events(inside_id)  # people walk in the area: an event is open
    announced = wait_for(lambda: live.get_message(timeout=0.1), 5, what="the live announcement")
    payload = json.loads(announced["data"])
    assert (payload["phase"], payload["camera_id"], payload["camera_name"]) == ("opened", inside_id, "inside")
    live.close()

    assert outside.stats.analysed == 0 and outside.people_count == 0 and not outside.tracker.tracks
    assert passed == demo_jpegs  # the recognized view shows the camera's own frames, untouched
    boxed = read_latest(r, outside_id, keys.BOXED_IMAGE)
    assert boxed is not None and boxed.jpeg == demo_jpegs[-1] and boxed.meta.extra["analysed"] is False
    status = outside.status()
    assert status["state"] == "outside_schedule" and "mon 08:00-18:00 (Europe/Berlin)" in str(status["reason"])
    assert _events(outside_id) == []

    # the window closes for the busy camera: its open event is closed, tracks are forgotten
    _feed(inside, demo_jpegs[:3], monday_night, 100)
    assert inside.status()["state"] == "outside_schedule" and inside.stats.analysed == len(demo_jpegs)
    assert not inside.tracker.tracks and inside.actions is None
    assert _events(inside_id) == [("intrusion", True)]
    # and opens again the next Monday morning: analysis resumes
    _feed(inside, demo_jpegs[:3], local("Europe/Berlin", 2026, 3, 9, 9, 0), 200)
    assert inside.status()["state"] == "analysing" and inside.stats.analysed == len(demo_jpegs) + 3
    inside.close()
    outside.close()


@on_sqlite
def test_pose_input_sets_the_backend_network_size(clean_state, redis_url, demo_jpegs):
    from videohar.config import get_settings
    from videohar.worker.camera import CameraPipeline

    r = redis.Redis.from_url(redis_url)
    default = CameraSettings()
    camera = _worker_camera(_camera_row("pose", default), default)
    pipeline = CameraPipeline(camera, r, get_settings().media_path)
    assert pipeline.pose.input_size == 160  # the default backend's crop input, unchanged by default
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    _feed(pipeline, demo_jpegs[:2], start, 1)
    assert pipeline.pose.model._shape == (1, 160, 160, 3)

    bigger = camera.settings.model_copy(update={"pose_input": 256})
    pipeline.reconfigure(_worker_camera(camera.id, bigger))
    assert pipeline.pose.input_size == 256
    _feed(pipeline, demo_jpegs[2:4], start.replace(minute=1), 10)
    assert pipeline.pose.model._shape == (1, 256, 256, 3)  # the network really runs at the new size

    plain = CameraSettings(pose="movenet", pose_input=320)
    pipeline.reconfigure(_worker_camera(camera.id, plain))
    assert pipeline.pose.name == "movenet" and pipeline.pose.long_side == 320
    _feed(pipeline, demo_jpegs[4:5], start.replace(minute=2), 20)
    assert pipeline.pose.model._shape == (1, 256, 320, 3)  # 768x576 -> long side 320, multiples of 32
    pipeline.close()


# --- the worker service with ingest: schedule changes apply without a restart ---------------------------


@pytest.fixture
def roles(clean_state, redis_url) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with running_roles(redis_url):
        yield


@on_sqlite
def test_worker_honours_a_schedule_change_without_restart(roles, redis_url):
    from videohar.db.models import Camera
    from videohar.db.session import session_scope

    r = redis.Redis.from_url(redis_url)
    today = datetime.now(UTC).weekday()
    never_now = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(today + 3) % 7]  # a whole day, days away
    paused = CameraSettings(
        analysis_fps=5, schedule={"windows": [{"days": [never_now], "start": "00:00", "end": "00:00"}]}
    )
    camera_id = _camera_row("scheduled", paused)

    def recognition() -> dict | None:
        raw = r.get(keys.worker_status_key(camera_id))
        return json.loads(raw) if raw else None

    status = wait_for(
        lambda: (s := recognition()) and s["state"] == "outside_schedule" and s, 60, what="a paused status"
    )
    assert status["analysed"] == 0 and never_now in status["reason"]
    # frames still flow to the recognized view, untouched
    boxed = wait_for(lambda: read_latest(r, camera_id, keys.BOXED_IMAGE), 20, what="pass-through frames")
    assert boxed.meta.extra["analysed"] is False

    with session_scope() as db:
        cam = db.get(Camera, camera_id)
        cam.settings = {**cam.settings, "schedule": {"timezone": "UTC", "windows": []}}
        cam.version += 1
    wait_for(lambda: (s := recognition()) and s["state"] == "analysing" and s["analysed"] > 0, 60, what="analysis")
    wait_for(
        lambda: (f := read_latest(r, camera_id, keys.BOXED_IMAGE)) and "analysed" not in f.meta.extra,
        20,
        what="annotated frames instead of pass-through ones",
    )
