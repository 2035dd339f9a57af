// The signed-in user's account and password change.
import { get, post } from "../lib/api.js";
import { $, formValues, h, clear, say } from "../lib/dom.js";
import { when } from "../lib/format.js";

const me = await get("/me");
clear($("#profile")).append(
  h("dl", { class: "kv" },
    h("dt", {}, "Username"), h("dd", { id: "profile-username" }, me.username),
    h("dt", {}, "E-mail"), h("dd", {}, me.email),
    h("dt", {}, "Role"), h("dd", {}, me.role),
    h("dt", {}, "Member since"), h("dd", {}, when(me.created_at)),
  ),
);

const form = $("#password-form");
const message = $("#password-message");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const v = formValues(form);
  if (v.new_password !== v.new_password2) return say(message, "The new passwords do not match.");
  try {
    const res = await post("/me/password", { current_password: v.current_password, new_password: v.new_password });
    say(message, res.message, "ok");
    form.reset();
    setTimeout(() => location.assign("/ui/logout"), 1500);
  } catch (err) {
    say(message, err.message);
  }
});
