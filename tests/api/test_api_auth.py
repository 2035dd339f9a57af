"""Accounts: seed register/login/refresh, token typing, rate limiting, roles."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

PASSWORD = "correct horse battery"


def register(client, username="alice", password=PASSWORD, email="alice@example.com"):
    return client.post("/register", json={"username": username, "email": email, "password": password})


def test_seed_register_login_refresh_flow(client):
    r = register(client)
    assert r.status_code == 201, r.text
    assert r.json()["message"] and len(r.json()["account_uuid"]) == 36
    r = client.post("/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["account_uuid"] and body["access_token"] and body["refresh_token"]
    me = client.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "alice" and me.json()["role"] == "operator"
    assert "password" not in me.text and "hash" not in me.text
    r = client.post("/token/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 200 and r.json()["access_token"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"username": "bob", "email": "bob@example.com"}, 400),
        ({"username": "bob", "password": PASSWORD}, 400),
        ({"username": "bob", "email": "not-an-email", "password": PASSWORD}, 400),
        ({"username": "bob", "email": "bob@example.com", "password": "short"}, 400),
        ({"username": "b o b", "email": "bob@example.com", "password": PASSWORD}, 400),
        ({"username": "bob", "email": "bob@example.com", "password": "bob"}, 400),
    ],
)
def test_register_rejects_bad_input_with_a_message(client, payload, status):
    r = client.post("/register", json=payload)
    assert r.status_code == status
    assert r.json()["message"]
    assert client.post("/login", json={"username": "bob", "password": PASSWORD}).status_code == 401


def test_register_duplicate_is_409_and_weak_password_message(client):
    assert register(client).status_code == 201
    r = register(client, username="ALICE")
    assert r.status_code == 409
    r = register(client, username="carol", password="abc")
    assert r.status_code == 400 and "at least 10 characters" in r.json()["message"]


def test_malformed_json_is_400_not_500(client):
    r = client.post("/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"]


def test_login_failure_does_not_reveal_user_existence(client):
    register(client)
    a = client.post("/login", json={"username": "alice", "password": "wrong password!"})
    b = client.post("/login", json={"username": "nobody", "password": "wrong password!"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_login_failures_are_rate_limited(client):
    register(client)
    for _ in range(5):
        assert client.post("/login", json={"username": "alice", "password": "wrong password!"}).status_code == 401
    r = client.post("/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    # the limit applies to unknown users the same way (no enumeration by 429 either)
    for _ in range(5):
        client.post("/login", json={"username": "ghost", "password": "wrong password!"})
    assert client.post("/login", json={"username": "ghost", "password": "x"}).status_code == 429


def _tokens(client):
    register(client)
    return client.post("/login", json={"username": "alice", "password": PASSWORD}).json()


def test_refresh_token_is_not_an_access_token_and_vice_versa(client):
    t = _tokens(client)
    client.cookies.clear()
    assert client.get("/me", headers={"Authorization": f"Bearer {t['refresh_token']}"}).status_code == 401
    assert client.post("/token/refresh", json={"refresh_token": t["access_token"]}).status_code == 401


def test_tampered_expired_and_alg_none_tokens_are_refused(client, app_env):
    from videohar.auth import tokens
    from videohar.config import get_settings

    t = _tokens(client)
    client.cookies.clear()
    good = t["access_token"]
    head, payload, sig = good.split(".")
    tampered = f"{head}.{payload}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    claims = jwt.decode(good, options={"verify_signature": False})
    unsigned = jwt.encode({**claims, "sub": claims["sub"]}, key=None, algorithm="none")
    other_key = jwt.encode(claims, "not-the-server-secret-0123456789abcdef", algorithm="HS256")
    expired = tokens.issue(
        get_settings().secret(),
        user_id=int(claims["sub"]),
        session_id=claims["sid"],
        type="access",
        lifetime=timedelta(seconds=-5),
    )
    for bad in (tampered, unsigned, other_key, expired, "garbage", ""):
        r = client.get("/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad
    assert client.get("/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_logout_ends_the_session_for_both_tokens(client):
    t = _tokens(client)
    client.cookies.clear()
    h = {"Authorization": f"Bearer {t['access_token']}"}
    assert client.post("/logout", headers=h).status_code == 200
    assert client.get("/me", headers=h).status_code == 401
    assert client.post("/token/refresh", json={"refresh_token": t["refresh_token"]}).status_code == 401


def test_cookie_session_and_csrf(client):
    register(client)
    r = client.post("/login", json={"username": "alice", "password": PASSWORD})
    set_cookie = r.headers.get_list("set-cookie")
    access = next(c for c in set_cookie if c.startswith("vh_access="))
    assert "HttpOnly" in access and "SameSite=lax" in access.replace("Lax", "lax")
    assert client.get("/me").status_code == 200  # cookie alone authenticates reads
    # a state-changing request with only the cookie needs the CSRF header
    r = client.post("/cameras", json={"name": "c", "stream_url": "rtsp://cam.local/s"})
    assert r.status_code == 403 and "CSRF" in r.json()["message"]
    csrf = client.cookies.get("vh_csrf")
    r = client.post("/cameras", json={"name": "c", "stream_url": "rtsp://cam.local/s"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_password_change_revokes_sessions(client):
    t = _tokens(client)
    client.cookies.clear()
    h = {"Authorization": f"Bearer {t['access_token']}"}
    r = client.post(
        "/me/password",
        json={"current_password": "wrong one!!", "new_password": "another long pass"},
        headers=h,
    )
    assert r.status_code == 400
    r = client.post("/me/password", json={"current_password": PASSWORD, "new_password": "another long pass"}, headers=h)
    assert r.status_code == 200
    assert client.get("/me", headers=h).status_code == 401
    assert client.post("/login", json={"username": "alice", "password": "another long pass"}).status_code == 200


def test_admin_user_management_and_roles(client, make_user):
    admin = make_user(client, "root", "admin")
    op = make_user(client, "oper", "operator")
    client.cookies.clear()
    assert client.get("/users", headers=op).status_code == 403
    r = client.post(
        "/users",
        json={"username": "vicky", "email": "v@example.com", "password": PASSWORD, "role": "viewer"},
        headers=admin,
    )
    assert r.status_code == 201 and r.json()["role"] == "viewer"
    vid = r.json()["id"]
    assert (
        client.post(
            "/users",
            json={"username": "vicky", "email": "v@example.com", "password": PASSWORD},
            headers=admin,
        ).status_code
        == 409
    )
    assert client.patch(f"/users/{vid}", json={"role": "operator"}, headers=admin).json()["role"] == "operator"
    assert client.patch(f"/users/{vid}", json={"role": "king"}, headers=admin).status_code == 422
    assert client.get("/users/999999", headers=admin).status_code == 404
    # the last admin cannot lock the system out
    me = client.get("/me", headers=admin).json()
    assert client.patch(f"/users/{me['id']}", json={"role": "viewer"}, headers=admin).status_code == 409
    assert client.delete(f"/users/{me['id']}", headers=admin).status_code == 409
    # disabling a user ends their sessions
    vh = client.post("/login", json={"username": "vicky", "password": PASSWORD}).json()["access_token"]
    client.cookies.clear()
    assert client.patch(f"/users/{vid}", json={"disabled": True}, headers=admin).status_code == 200
    assert client.get("/me", headers={"Authorization": f"Bearer {vh}"}).status_code == 401
    assert client.delete(f"/users/{vid}", headers=admin).status_code == 200


def test_every_endpoint_but_register_and_login_needs_auth(client):
    open_paths = {"/register", "/login", "/token/refresh", "/healthz", "/readyz"}
    client.cookies.clear()
    checked = 0
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        if path in open_paths:
            continue
        concrete = "/".join("1" if part.startswith("{") else part for part in path.split("/"))
        for method in ops:
            r = client.request(method.upper(), concrete)
            assert r.status_code == 401, (method, path, r.status_code)
            checked += 1
    assert checked >= 10


def test_health_and_readiness(client):
    assert client.get("/healthz").json()["status"] == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_secret_key_is_generated_once_with_mode_0600(app_env):
    from videohar.config import get_settings

    path = app_env / "secret_key"
    first = get_settings().secret()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert get_settings().secret() == first and len(first) >= 40
