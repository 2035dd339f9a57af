// Admin: accounts, roles, disabling and deleting.
import { del, get, patch, post } from "../lib/api.js";
import { $, clear, confirmButton, formValues, h, pageData, say } from "../lib/dom.js";
import { toast, toastError } from "../lib/toast.js";
import { when } from "../lib/format.js";

const ROLES = ["admin", "operator", "viewer"];
const myId = pageData().user?.id;
const body = $("#users-body");

function roleSelect(user) {
  const select = h("select", { "aria-label": `Role of ${user.username}`, dataset: { role: user.username } },
    ROLES.map((r) => h("option", { value: r, selected: r === user.role }, r)));
  select.addEventListener("change", async () => {
    try {
      await patch(`/users/${user.id}`, { role: select.value });
      toast(`${user.username} is now ${select.value}`, "ok");
    } catch (err) {
      toastError(err);
      select.value = user.role;
      return;
    }
    user.role = select.value;
  });
  return select;
}

function disabledBox(user) {
  const box = h("input", { type: "checkbox", checked: user.disabled, "aria-label": `Disable ${user.username}` });
  box.addEventListener("change", async () => {
    try {
      await patch(`/users/${user.id}`, { disabled: box.checked });
      toast(`${user.username} ${box.checked ? "disabled" : "enabled"}`, "ok");
    } catch (err) {
      toastError(err);
      box.checked = !box.checked;
    }
  });
  return box;
}

function row(user) {
  return h("tr", { dataset: { user: user.username } },
    h("td", {}, h("b", {}, user.username), user.id === myId ? h("span", { class: "muted small" }, " (you)") : null),
    h("td", {}, user.email),
    h("td", {}, roleSelect(user)),
    h("td", {}, disabledBox(user)),
    h("td", { class: "muted small" }, when(user.created_at)),
    h("td", { class: "actions" },
      user.id === myId ? null : confirmButton("Delete", async () => {
        try {
          await del(`/users/${user.id}`);
          toast(`${user.username} deleted`, "ok");
          users = users.filter((u) => u.id !== user.id);
          render();
        } catch (err) {
          toastError(err);
        }
      })),
  );
}

let users = [];
function render() {
  clear(body).append(...users.map(row));
}
async function load() {
  users = await get("/users");
  render();
}

const form = $("#user-form");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const message = $("#user-message");
  const v = formValues(form);
  try {
    users.push(await post("/users", { username: v.username.trim(), email: v.email.trim(), password: v.password, role: v.role }));
    say(message, `Created ${v.username}.`, "ok");
    form.reset();
    render();
  } catch (err) {
    say(message, err.message);
  }
});

await load();
