// Log in, then go back to where the visitor was sent from (same-origin paths only).
import { ApiError, cookie, post, refreshSession } from "../lib/api.js";
import { $, pageData, say } from "../lib/dom.js";

const data = pageData();
const message = $("#login-message");

function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/ui/dashboard";
}

if (data.registration) $("#register-link").hidden = false;
if (new URLSearchParams(location.search).has("bye")) say(message, "You are logged out.", "ok");

// A session whose access cookie expired is renewed silently instead of asking for the password again.
if (cookie("vh_csrf")) {
  refreshSession().then((ok) => ok && location.replace(nextPath()));
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const username = $("#username").value.trim();
  const password = $("#password").value;
  if (!username || !password) return say(message, "Enter your username and password.");
  const button = $("#login-submit");
  button.disabled = true;
  try {
    await post("/login", { username, password }, { retry: false });
    location.replace(nextPath());
  } catch (err) {
    const text =
      err instanceof ApiError && err.status === 401
        ? "Wrong username or password."
        : err instanceof ApiError && err.status === 429
          ? "Too many failed attempts. Wait a few minutes and try again."
          : err.message;
    say(message, text);
    $("#password").select();
  } finally {
    button.disabled = false;
  }
});
