"""Engine and session factory; one engine per database URL per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> Engine:
    from videohar.config import get_settings

    return engine_for(get_settings().effective_database_url)


@lru_cache(maxsize=8)
def _factory(url: str) -> sessionmaker[Session]:
    # Every mapped table must be known before the first flush: a process that imported only some
    # model modules (the CLI's `train`) would otherwise fail to resolve foreign keys.
    import videohar.db.models
    import videohar.db.notify_models
    import videohar.db.training_models  # noqa: F401

    return sessionmaker(engine_for(url), expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    from videohar.config import get_settings

    return _factory(get_settings().effective_database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error (workers, CLI)."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_all() -> None:
    for fn in (engine_for, _factory):
        fn.cache_clear()
