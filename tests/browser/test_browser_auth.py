"""Accounts in a real Chromium: log in, wrong password, register, logout, redirects, admin roles."""

from __future__ import annotations

import pytest

# The pages behave the same on either database; the browser journeys run once, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_anonymous_pages_redirect_to_login(page, ui) -> None:
    page.goto("/ui/cameras")
    page.wait_for_url("**/ui/login?next=%2Fui%2Fcameras")
    page.goto("/snapshot_ui/5")
    page.wait_for_url("**/ui/login?next=%2Fsnapshot_ui%2F5")
    page.goto("/")
    page.wait_for_url("**/ui/login")
    ui.shot(page, "login")


def test_wrong_password_then_login_and_logout(page, ui) -> None:
    ui.create_account("alice")
    page.goto("/ui/login?next=%2Fui%2Fcameras")
    page.fill("#username", "alice")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    message = page.locator("#login-message")
    message.wait_for(state="visible")
    assert "Wrong username or password" in message.inner_text()
    ui.shot(page, "login-wrong-password")

    page.fill("#password", "correct horse battery")
    page.click("#login-submit")
    page.wait_for_url("**/ui/cameras")
    assert page.locator("#whoami").inner_text() == "alice"

    page.click("#logout")
    page.wait_for_url("**/ui/login?bye=1")
    assert "logged out" in page.locator("#login-message").inner_text()
    page.goto("/ui/dashboard")
    page.wait_for_url("**/ui/login?next=*")
    assert not page.dialogs and not page.console_errors


def test_register_lands_on_dashboard(page, ui) -> None:
    page.goto("/ui/register")
    page.fill("#username", "newbie")
    page.fill("#email", "newbie@example.com")
    page.fill("#password", "long enough password")
    page.fill("#password2", "different password!")
    page.click("#register-submit")
    assert "do not match" in page.locator("#register-message").inner_text()
    ui.shot(page, "register")
    page.fill("#password2", "long enough password")
    page.click("#register-submit")
    page.wait_for_url("**/ui/dashboard")
    assert page.locator("#whoami").inner_text() == "newbie"
    # A taken username is reported, not a crash.
    page.click("#logout")
    page.wait_for_url("**/ui/login?bye=1")
    page.goto("/ui/register")
    page.fill("#username", "newbie")
    page.fill("#email", "other@example.com")
    page.fill("#password", "long enough password")
    page.fill("#password2", "long enough password")
    page.click("#register-submit")
    page.locator("#register-message").wait_for(state="visible")
    assert "taken" in page.locator("#register-message").inner_text()


def test_admin_changes_a_role(page, ui) -> None:
    ui.create_account("root", role="admin")
    ui.create_account("bob", role="operator")
    ui.login(page, "root")
    page.goto("/ui/users")
    select = page.locator("select[data-role='bob']")
    select.wait_for()
    ui.shot(page, "users")
    select.select_option("viewer")
    page.locator(".toast.ok", has_text="bob is now viewer").wait_for()
    users = {u["username"]: u for u in ui.api("root").get("/users").json()}
    assert users["bob"]["role"] == "viewer"
    page.reload()
    assert page.locator("select[data-role='bob']").input_value() == "viewer"


def test_non_admin_sees_no_users_page(page, ui) -> None:
    ui.create_account("carol")
    ui.login(page, "carol")
    assert page.locator("[data-nav='users']").count() == 0
    response = page.goto("/ui/users")
    assert response is not None and response.status == 403
    assert page.get_by_text("needs the admin role").is_visible()
