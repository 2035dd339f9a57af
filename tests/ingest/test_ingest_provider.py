"""The camera list ingest reads every second: a source that is no longer allowed is disabled, and said once."""

from __future__ import annotations

import logging

import pytest


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_disallowed_file_source_is_disabled_and_reported_once_per_version(clean_state, caplog) -> None:
    from videohar.auth.users import create_user
    from videohar.cameras.provider import load_camera_specs
    from videohar.db.models import Camera, Role
    from videohar.db.session import session_scope

    with session_scope() as db:
        owner = create_user(
            db, username="owner", email="owner@example.com", password="correct horse battery", role=Role.admin
        )
        # e.g. the data directory moved, or the allowed media folders were narrowed after the camera was added
        db.add(Camera(owner_id=owner.id, name="old", stream_url="file:///etc/hostname", settings={}))
        db.add(Camera(owner_id=owner.id, name="ok", stream_url="rtsp://cam.example:554/s", settings={}))

    with caplog.at_level(logging.WARNING, logger="videohar.cameras"):
        for _ in range(5):
            specs = load_camera_specs()
    assert [(s.url, s.enabled) for s in specs] == [("file:///etc/hostname", False), ("rtsp://cam.example:554/s", True)]
    warnings = [r for r in caplog.records if "disabled" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]

    with session_scope() as db:  # an edit (new version) is reported again
        cam = db.query(Camera).filter_by(name="old").one()
        cam.version += 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="videohar.cameras"):
        load_camera_specs()
        load_camera_specs()
    assert len([r for r in caplog.records if "disabled" in r.getMessage()]) == 1
