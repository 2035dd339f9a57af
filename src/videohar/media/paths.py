"""Everything stored on disk lives under one media directory; this is the only way in (DESIGN.md §9)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote


class UnsafeMediaPath(ValueError):
    """The path escapes the media directory, or is not a plain relative path."""


def resolve_media(root: Path, relative: str) -> Path:
    """The file `relative` names inside `root`, refusing traversal, absolute paths and symlinks out.

    `relative` is decoded once more, so a double-encoded `%2e%2e` is caught as well.
    """
    text = unquote(relative)
    if not text or "\x00" in text or "\\" in text or len(text) > 1024:
        raise UnsafeMediaPath("invalid media path")
    pure = PurePosixPath(text)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts) or text.startswith("~"):
        raise UnsafeMediaPath("media paths are relative and stay inside the media directory")
    base = root.resolve()
    target = (base / pure).resolve()
    if not target.is_relative_to(base):
        raise UnsafeMediaPath("media path leaves the media directory")
    return target


def relative_to_media(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()
