"""Operations: Prometheus metrics and which process runs which camera."""

from __future__ import annotations

import json
import shutil

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import select

from videohar.api.deps import DB, AdminUser, CurrentUser, SettingsDep
from videohar.api.schemas import errors
from videohar.bus import keys
from videohar.bus.connection import get_redis
from videohar.bus.leases import lease_owners, live_members
from videohar.cameras.access import visible_query
from videohar.cameras.ingest import INGEST_ROLE, read_status
from videohar.db.models import Camera
from videohar.worker.service import WORKER_ROLE

router = APIRouter(tags=["system"])


def _recognition(r, ids: list[int]) -> dict[int, dict]:  # type: ignore[no-untyped-def]
    if not ids:
        return {}
    raws = r.mget([keys.worker_status_key(i) for i in ids])
    return {i: json.loads(raw) for i, raw in zip(ids, raws, strict=True) if raw}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}, **errors(401)})
def metrics(user: CurrentUser, db: DB) -> Response:
    """Prometheus exposition of per-camera ingest and recognition figures (the caller's cameras)."""
    ids = [c.id for c in db.scalars(visible_query(user))]
    r = get_redis()
    ingest = read_status(r, ids)
    recog = _recognition(r, ids)
    reg = CollectorRegistry()
    online = Gauge("videohar_camera_online", "1 when ingest publishes frames", ["camera"], registry=reg)
    g_ingest = {
        name: Gauge(f"videohar_ingest_{name}", desc, ["camera"], registry=reg)
        for name, desc in (
            ("decoded_fps", "frames decoded per second"),
            ("published_fps", "frames published per second"),
            ("dropped_frames", "frames dropped by a slow encoder (total)"),
            ("reconnects", "reconnects (total)"),
            ("stalls", "read stalls (total)"),
        )
    }
    g_fps = Gauge("videohar_analysed_fps", "frames analysed per second", ["camera"], registry=reg)
    g_people = Gauge(
        "videohar_people", "people counted (inside areas) on the last analysed frame", ["camera"], registry=reg
    )
    g_tracks = Gauge("videohar_tracks", "live tracks", ["camera"], registry=reg)
    g_skipped = Gauge("videohar_skipped_frames", "published frames a worker skipped (total)", ["camera"], registry=reg)
    g_stage = Gauge(
        "videohar_stage_latency_ms", "moving average latency per pipeline stage", ["camera", "stage"], registry=reg
    )
    for cid in ids:
        label = str(cid)
        status = ingest.get(cid, {})
        online.labels(label).set(1 if status.get("state") == "online" else 0)
        for name, gauge in g_ingest.items():
            gauge.labels(label).set(float(status.get(name) or 0))
        rec = recog.get(cid)
        if rec:
            g_fps.labels(label).set(rec.get("fps", 0))
            g_people.labels(label).set(rec.get("people", 0))
            g_tracks.labels(label).set(rec.get("tracks", 0))
            g_skipped.labels(label).set(rec.get("skipped", 0))
            for stage, ms in (rec.get("latency_ms") or {}).items():
                g_stage.labels(label, stage).set(ms)
    return Response(generate_latest(reg), media_type=CONTENT_TYPE_LATEST)


class ProcessOut(BaseModel):
    member_id: str
    role: str
    cameras: list[int]


class SystemOut(BaseModel):
    processes: list[ProcessOut]
    unassigned: dict[str, list[int]]
    storage_bytes: int
    disk_free_bytes: int


@router.get("/system", response_model=SystemOut, responses=errors(401, 403))
def system(admin: AdminUser, db: DB, settings: SettingsDep) -> SystemOut:
    """Live ingest and worker processes with the cameras each holds, and storage use."""
    r = get_redis()
    cameras = list(db.scalars(select(Camera)))
    processes: list[ProcessOut] = []
    unassigned: dict[str, list[int]] = {}
    for role, wanted in (
        (INGEST_ROLE, [c.id for c in cameras if c.enabled]),
        (WORKER_ROLE, [c.id for c in cameras if c.enabled and c.recognition]),
    ):
        owners = lease_owners(r, role, wanted)
        for member in live_members(r, role):
            processes.append(
                ProcessOut(member_id=member, role=role, cameras=sorted(c for c, o in owners.items() if o == member))
            )
        unassigned[role] = sorted(c for c, o in owners.items() if o is None)
    media = settings.media_path
    used = sum(p.stat().st_size for p in media.rglob("*") if p.is_file()) if media.exists() else 0
    free = shutil.disk_usage(media if media.exists() else settings.data_path).free
    return SystemOut(processes=processes, unassigned=unassigned, storage_bytes=used, disk_free_bytes=free)
