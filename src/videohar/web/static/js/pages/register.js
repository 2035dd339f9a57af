// Self-registration: create the account, log straight in, land on the live view.
import { post } from "../lib/api.js";
import { $, formValues, pageData, say } from "../lib/dom.js";

const message = $("#register-message");
const form = $("#register-form");

if (!pageData().registration) {
  say(message, "Self-registration is disabled on this server; ask an admin for an account.");
  form.hidden = true;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const v = formValues(form);
  if (v.username.trim().length < 3) return say(message, "The username needs at least 3 characters.");
  if (!v.email.includes("@")) return say(message, "Enter a valid e-mail address.");
  if (v.password.length < 10) return say(message, "The password needs at least 10 characters.");
  if (v.password !== v.password2) return say(message, "The passwords do not match.");
  const button = $("#register-submit");
  button.disabled = true;
  try {
    await post("/register", { username: v.username.trim(), email: v.email.trim(), password: v.password }, { retry: false });
    await post("/login", { username: v.username.trim(), password: v.password }, { retry: false });
    location.replace("/ui/dashboard");
  } catch (err) {
    say(message, err.message);
  } finally {
    button.disabled = false;
  }
});
