"""Secrets at rest: AES-GCM under an HKDF key from SECRET_KEY, binding, rotation, masking."""

from __future__ import annotations

import logging

import pytest

from videohar.config import Settings
from videohar.notify.secrets_box import InvalidSecret, SecretBox, mask

TOKEN = "line-token-" + "A1b2" * 40


def test_round_trip_and_fresh_nonce():
    box = SecretBox("server-secret-key")
    first, second = box.encrypt(TOKEN), box.encrypt(TOKEN)
    assert first != second
    assert TOKEN not in first and first.isascii()
    assert box.decrypt(first) == box.decrypt(second) == TOKEN
    assert box.decrypt(box.encrypt("パスワード")) == "パスワード"


def test_other_key_cannot_open():
    token = SecretBox("key-one").encrypt(TOKEN)
    with pytest.raises(InvalidSecret):
        SecretBox("key-two").decrypt(token)


def test_aad_binds_the_value_to_its_row():
    box = SecretBox("k")
    token = box.encrypt(TOKEN, aad="line_target:1:token")
    assert box.decrypt(token, aad="line_target:1:token") == TOKEN
    with pytest.raises(InvalidSecret):
        box.decrypt(token, aad="line_target:2:token")


@pytest.mark.parametrize("mutate", [lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1], lambda t: t[:20]])
def test_tampered_or_truncated_fails_without_echo(mutate):
    box = SecretBox("k")
    bad = mutate(box.encrypt(TOKEN))
    with pytest.raises(InvalidSecret) as info:
        box.decrypt(bad)
    assert bad not in str(info.value) and TOKEN not in str(info.value)


@pytest.mark.parametrize("junk", ["", "plain text", "v1.!!!", "v1."])
def test_junk_is_invalid(junk):
    with pytest.raises(InvalidSecret):
        SecretBox("k").decrypt(junk)


def test_rotation_reads_old_values_and_flags_them():
    old = SecretBox("old-key").encrypt(TOKEN)
    rotated = SecretBox("new-key", old_keys=["old-key"])
    assert rotated.decrypt(old) == TOKEN
    assert rotated.needs_rotation(old)
    assert not rotated.needs_rotation(rotated.encrypt(TOKEN))


def test_from_settings_uses_secret_key(tmp_path):
    settings = Settings(SECRET_KEY="from-env-secret", data_dir=tmp_path)
    token = SecretBox.from_settings(settings).encrypt(TOKEN)
    assert SecretBox("from-env-secret").decrypt(token) == TOKEN


def test_key_never_in_repr_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    box = SecretBox("very-secret-server-key")
    logging.getLogger("test").info("box %r token %s", box, box.encrypt(TOKEN))
    assert "very-secret-server-key" not in caplog.text and TOKEN not in caplog.text


def test_empty_key_refused():
    with pytest.raises(ValueError):
        SecretBox("")


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (None, ""),
        ("", ""),
        ("abc", "••••"),
        ("hunter2", "••••"),
        ("x" * 19, "••••"),
        ("a" * 16 + "wxyz", "••••wxyz"),
        (TOKEN, "••••A1b2"),
    ],
)
def test_mask(secret, shown):
    assert mask(secret) == shown
