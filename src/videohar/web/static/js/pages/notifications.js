// Notifications: inbox, LINE targets, e-mail recipients, webhooks, rules (each with "send test"), deliveries.
import { get, post } from "../lib/api.js";
import { $, clear, empty, h, pageData } from "../lib/dom.js";
import { ago, label, when } from "../lib/format.js";
import { resourcePanel } from "../lib/resource.js";
import { toast, toastError } from "../lib/toast.js";

const apis = pageData().apis || {};
const csv = (text) => (text || "").split(",").map((s) => s.trim()).filter(Boolean);
const onOff = (item) => h("span", { class: `badge ${item.enabled ? "ok" : "offline"}` }, item.enabled ? "on" : "off");

function inbox() {
  const list = h("div", { class: "event-list" });
  async function load() {
    const rows = await get("/notifications?limit=100");
    clear(list);
    if (!rows.length) return list.append(empty("Inbox is empty", "Notifications about your cameras' events appear here."));
    for (const n of rows) {
      list.append(h("div", { class: "event-row", style: { cursor: "default", opacity: n.read ? 0.65 : 1 } },
        n.image_url ? h("img", { src: n.image_url, alt: "" }) : h("div", { class: "thumb" }),
        h("div", {}, h("div", {}, n.message), h("div", { class: "muted small" }, ago(n.created_at),
          n.event_id ? [" · ", h("a", { href: `/ui/events?event=${n.event_id}` }, "open event")] : null)),
        n.read ? h("span", { class: "muted small" }, "read") : h("button", { type: "button", class: "small", onclick: async () => {
          try {
            await post(`/notifications/${n.id}/read`);
            await load();
          } catch (err) {
            toastError(err);
          }
        } }, "Mark read"),
      ));
    }
  }
  const markAll = h("button", { type: "button", onclick: async () => {
    await post("/notifications/read_all");
    toast("All marked read", "ok");
    await load();
  } }, "Mark all read");
  return { element: h("div", {}, h("div", { class: "toolbar" }, h("span", { class: "spacer" }), markAll), list), load };
}

const TARGET_COLUMNS = (extra) => [{ key: "name", label: "Name" }, ...extra, { key: "enabled", label: "State", format: onOff }];

function deliveries() {
  const body = h("tbody");
  async function load() {
    const rows = await get("/deliveries");
    clear(body).append(...rows.map((d) => h("tr", {},
      h("td", {}, `#${d.id}`), h("td", {}, d.kind), h("td", {}, h("span", { class: `badge ${d.status === "sent" ? "ok" : d.status === "failed" ? "error" : "warn"}` }, label(d.status))),
      h("td", {}, `${d.attempts}/${d.max_attempts}`), h("td", { class: "small muted" }, d.last_error || ""), h("td", { class: "small" }, when(d.sent_at || d.created_at)),
    )));
    if (!rows.length) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No deliveries yet.")));
  }
  const element = h("section", { class: "panel table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ["Id", "Channel", "Status", "Attempts", "Error", "When"].map((t) => h("th", {}, t)))), body));
  return { element, load };
}

async function rules() {
  const cameras = await get("/cameras");
  return resourcePanel({
    path: "/notification_rules", title: "Rules", noun: "rule",
    emptyText: "Without rules nobody is notified. A rule says which events go to which targets.",
    fields: [
      { name: "name", label: "Name" },
      { name: "camera_id", label: "Camera", type: "select", options: [["", "Every camera"], ...cameras.map((c) => [String(c.id), c.name])] },
      { name: "labels", label: "Actions (comma-separated, blank = alert-level actions)", placeholder: "fall, lying" },
      { name: "min_score", label: "Minimum score (0–1)", type: "number", step: "0.05", min: 0, max: 1, value: "0.5" },
      { name: "target_ids", label: "Target ids (comma-separated, blank = all your targets)" },
      { name: "cooldown_s", label: "Cooldown (s)", type: "number", min: 0, value: "60" },
      { name: "quiet", label: "Quiet hours (e.g. 22:00-06:00)", placeholder: "22:00-06:00" },
      { name: "timezone", label: "Time zone", placeholder: Intl.DateTimeFormat().resolvedOptions().timeZone },
      { name: "enabled", label: "Enabled", type: "checkbox" },
    ],
    toBody: (v) => ({
      name: v.name, camera_id: v.camera_id ? Number(v.camera_id) : null, labels: csv(v.labels), min_score: v.min_score ?? 0,
      target_ids: csv(v.target_ids).map(Number), cooldown_s: v.cooldown_s ?? 60,
      quiet_hours: csv(v.quiet).map((w) => { const [start, end] = w.split("-").map((s) => s.trim()); return { start, end }; }),
      timezone: v.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone, enabled: v.enabled,
    }),
    columns: [
      { key: "name", label: "Name" },
      { key: "camera_id", label: "Camera", format: (r) => cameras.find((c) => c.id === r.camera_id)?.name ?? "every camera" },
      { key: "labels", label: "Actions", format: (r) => (r.labels.length ? r.labels.map(label).join(", ") : "alert-level") },
      { key: "target_ids", label: "Targets", format: (r) => (r.target_ids.length ? r.target_ids.join(", ") : "all") },
      { key: "enabled", label: "State", format: onOff },
    ],
  });
}

const TABS = [
  ["inbox", "Inbox", "/notifications", async () => inbox()],
  ["line", "LINE", "/line_tokens", async () => resourcePanel({
    path: "/line_tokens", title: "LINE targets", noun: "LINE target", test: true,
    emptyText: "Push messages through your LINE Messaging API channel.",
    fields: [
      { name: "name", label: "Name" },
      { name: "channel_access_token", label: "Channel access token", type: "password", required: true },
      { name: "to", label: "Send to (user U…, group C… or room R… id)", required: true },
      { name: "enabled", label: "Enabled", type: "checkbox" },
    ],
    columns: TARGET_COLUMNS([{ key: "to", label: "To" }, { key: "channel_access_token", label: "Token" }]),
  })],
  ["email", "E-mail", "/email_recipients", async () => resourcePanel({
    path: "/email_recipients", title: "E-mail recipients", noun: "recipient", test: true,
    fields: [{ name: "name", label: "Name" }, { name: "email", label: "E-mail", type: "email", required: true }, { name: "enabled", label: "Enabled", type: "checkbox" }],
    columns: TARGET_COLUMNS([{ key: "email", label: "E-mail" }]),
  })],
  ["webhooks", "Webhooks", "/webhooks", async () => resourcePanel({
    path: "/webhooks", title: "Webhooks", noun: "webhook", test: true,
    fields: [{ name: "name", label: "Name" }, { name: "url", label: "URL (http/https)", type: "url", required: true }, { name: "enabled", label: "Enabled", type: "checkbox" }],
    columns: TARGET_COLUMNS([{ key: "url", label: "URL" }]),
    created: (w) => (w.signing_secret ? `Added. Signing secret (shown once): ${w.signing_secret}` : "Added."),
  })],
  ["rules", "Rules", "/notification_rules", rules],
  ["deliveries", "Deliveries", "/deliveries", async () => deliveries()],
].filter(([, , path]) => apis[path]);

const tabBar = $("#notify-tabs");
const content = $("#notify-content");
async function open(key) {
  const tab = TABS.find((t) => t[0] === key) || TABS[0];
  for (const b of tabBar.children) b.classList.toggle("active", b.dataset.tab === tab[0]);
  history.replaceState(null, "", `#${tab[0]}`);
  const panel = await tab[3]();
  clear(content).append(panel.element);
  await panel.load().catch((err) => clear(content).append(empty(`${tab[1]} could not be loaded`, err.message)));
}
for (const [key, title] of TABS) tabBar.append(h("button", { type: "button", dataset: { tab: key }, onclick: () => open(key) }, title));
if (TABS.length) open(location.hash.slice(1));
else content.append(empty("Coming soon", "Notification channels appear once their API is available."));
