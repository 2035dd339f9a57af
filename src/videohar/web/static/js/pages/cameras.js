// Cameras: list, add / edit / delete, connection test, recognition settings and schedule, snapshot preview.
import { del, get, patch, post } from "../lib/api.js";
import { $, clear, confirmButton, empty, h, pageData, say } from "../lib/dom.js";
import { toast, toastError } from "../lib/toast.js";
import { label } from "../lib/format.js";

const DEFAULT_ACTIONS = ["fall", "lying", "hands_up", "running", "loitering", "intrusion"];
const POSE_INPUT_SIZES = [128, 160, 192, 224, 256, 320, 384, 448, 512, 640];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const BROWSER_TZ = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const data = pageData();
const apis = data.apis || {};
const form = $("#camera-form");
const F = form.elements;
const message = $("#camera-message");
let cameras = [];
let editing = null; // the camera being edited, or null when adding

async function knownActions() {
  const names = new Set(DEFAULT_ACTIONS);
  if (apis["/labels"]) {
    try {
      const labels = await get("/labels", { redirect: false });
      for (const l of Array.isArray(labels) ? labels : labels.items || []) names.add(typeof l === "string" ? l : l.name);
    } catch {
      /* labels are optional here */
    }
  }
  return [...names].filter(Boolean);
}
const ACTIONS = await knownActions();

for (const size of POSE_INPUT_SIZES) F.pose_input.append(h("option", { value: String(size) }, `${size} px`));
for (const zone of Intl.supportedValuesOf?.("timeZone") ?? []) $("#cam-timezones").append(h("option", { value: zone }));

/** One schedule window: the days it starts on, and its start and end (HH:MM, local to the time zone). */
function windowRow(win = { days: DAYS.slice(0, 5), start: "08:00", end: "18:00" }) {
  const row = h("div", { class: "schedule-window" },
    h("div", { class: "row" }, ...DAYS.map((day) =>
      h("label", { class: "check" }, h("input", { type: "checkbox", dataset: { day }, checked: win.days.includes(day) }), day))),
    h("div", { class: "row" },
      h("label", { class: "field-inline" }, "from", h("input", { type: "time", class: "win-start", value: win.start, required: true })),
      h("label", { class: "field-inline" }, "to", h("input", { type: "time", class: "win-end", value: win.end, required: true })),
      h("button", { type: "button", class: "small danger win-remove", onclick: () => row.remove() }, "Remove"),
    ),
  );
  return row;
}

function scheduleFromForm() {
  const windows = [...form.querySelectorAll(".schedule-window")].map((row) => ({
    days: [...row.querySelectorAll("[data-day]")].filter((b) => b.checked).map((b) => b.dataset.day),
    start: row.querySelector(".win-start").value,
    end: row.querySelector(".win-end").value,
  }));
  // Without windows the zone does not matter: send one every server knows.
  return { timezone: windows.length ? F.timezone.value.trim() || "UTC" : "UTC", windows };
}

$("#cam-window-add").addEventListener("click", () => $("#cam-windows").append(windowRow()));

function actionRows(selected, thresholds) {
  const names = [...new Set([...ACTIONS, ...selected])];
  return names.map((name) =>
    h("div", { class: "row", style: { marginBottom: ".3rem" } },
      h("label", { class: "check", style: { minWidth: "130px" } },
        h("input", { type: "checkbox", dataset: { action: name }, checked: selected.includes(name) }), label(name)),
      h("input", {
        type: "number", min: "0", max: "1", step: "0.05", style: { width: "90px" }, dataset: { threshold: name },
        value: thresholds[name] ?? "", "aria-label": `Threshold for ${name}`,
      }),
    ),
  );
}

function preview(camera) {
  const box = $("#camera-preview");
  clear(box);
  box.hidden = !camera;
  if (!camera) return;
  const placeholder = h("div", { class: "placeholder" }, "No snapshot yet — the camera has not delivered a frame.");
  if (!apis["/get_snapshot/{camera_id}"]) return box.append(placeholder);
  const img = h("img", { alt: `Latest frame of ${camera.name}`, src: `/get_snapshot/${camera.id}?t=${Date.now()}` });
  img.addEventListener("error", () => img.replaceWith(placeholder));
  box.append(img);
}

function fill(camera) {
  editing = camera;
  say(message, "");
  const s = camera?.settings || { analysis_fps: 10, stream_fps: 10, max_width: 1280, pose: "default", actions: DEFAULT_ACTIONS, thresholds: {} };
  $("#camera-form-title").textContent = camera ? `Edit camera` : "Add camera";
  F.name.value = camera?.name ?? "";
  F.stream_url.value = camera?.stream_url ?? "";
  F.group.value = camera?.group ?? "";
  F.location.value = camera?.location ?? "";
  F.enabled.checked = camera?.enabled ?? true;
  F.recognition.checked = camera?.recognition ?? true;
  F.analysis_fps.value = s.analysis_fps;
  F.stream_fps.value = s.stream_fps;
  F.max_width.value = s.max_width;
  F.pose.value = s.pose;
  F.pose_input.value = s.pose_input ? String(s.pose_input) : "";
  const schedule = s.schedule || { timezone: BROWSER_TZ, windows: [] };
  F.timezone.value = schedule.windows.length ? schedule.timezone : BROWSER_TZ;
  clear($("#cam-windows")).append(...schedule.windows.map(windowRow));
  showTest(null);
  clear($("#cam-actions")).append(...actionRows(s.actions || [], s.thresholds || {}));
  $("#cam-extra-actions").value = "";
  const areas = $("#camera-areas");
  areas.hidden = !camera;
  if (camera) areas.href = `/snapshot_ui/${camera.id}`;
  for (const el of form.elements) el.disabled = camera ? !camera.can_edit : false;
  $("#camera-cancel").disabled = false;
  preview(camera);
}

function settingsFromForm() {
  const actions = [...form.querySelectorAll("[data-action]")].filter((b) => b.checked).map((b) => b.dataset.action);
  for (const extra of $("#cam-extra-actions").value.split(",")) {
    const name = extra.trim().toLowerCase().replaceAll(" ", "_");
    if (name && !actions.includes(name)) actions.push(name);
  }
  const thresholds = {};
  for (const input of form.querySelectorAll("[data-threshold]")) {
    if (input.value !== "") thresholds[input.dataset.threshold] = Number(input.value);
  }
  const num = (el) => (el.value === "" ? undefined : Number(el.value));
  return {
    analysis_fps: num(F.analysis_fps),
    stream_fps: num(F.stream_fps),
    max_width: num(F.max_width),
    pose: F.pose.value.trim() || "default",
    pose_input: F.pose_input.value ? Number(F.pose_input.value) : null,
    actions,
    thresholds,
    schedule: scheduleFromForm(),
  };
}

// Connection test --------------------------------------------------------------------------------
const testResult = $("#camera-test-result");

function showTest(result) {
  clear(testResult);
  testResult.hidden = !result;
  if (!result) return;
  testResult.className = `test-result message ${result.ok ? "ok" : "error"}`;
  const facts = result.ok
    ? [result.width && `${result.width}×${result.height}`, result.codec, result.fps && `${result.fps} fps`].filter(Boolean).join(" · ")
    : "";
  testResult.append(h("div", { class: "test-message" }, result.message), facts ? h("div", { class: "small test-facts" }, facts) : null);
  // Only a JPEG data URL from our own API is shown; anything else is ignored.
  if (typeof result.snapshot === "string" && result.snapshot.startsWith("data:image/jpeg;base64,")) {
    testResult.append(h("img", { class: "test-snapshot", alt: "First frame of the tested stream", src: result.snapshot }));
  }
}

$("#camera-test").addEventListener("click", async () => {
  const url = F.stream_url.value.trim();
  if (!url) return say(message, "Enter the stream URL to test.");
  say(message, "");
  const button = $("#camera-test");
  button.disabled = true;
  button.textContent = "Testing…";
  showTest(null);
  try {
    // An unchanged URL of a saved camera is masked in the form: test the stored one on the server.
    const result = editing && url === editing.stream_url
      ? await post(`/cameras/${editing.id}/test`, {})
      : await post("/cameras/test", { stream_url: url });
    showTest(result);
  } catch (err) {
    showTest({ ok: false, message: err.message });
  } finally {
    button.disabled = false;
    button.textContent = "Test connection";
  }
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = F.name.value.trim();
  const url = F.stream_url.value.trim();
  if (!name) return say(message, "Give the camera a name.");
  if (!url) return say(message, "Enter the stream URL.");
  const body = {
    name,
    group: F.group.value.trim(),
    location: F.location.value.trim(),
    enabled: F.enabled.checked,
    recognition: F.recognition.checked,
    settings: settingsFromForm(),
  };
  // The API returns the URL with its password masked: only send it when the user changed it.
  if (!editing || url !== editing.stream_url) body.stream_url = url;
  try {
    const saved = editing ? await patch(`/cameras/${editing.id}`, body) : await post("/cameras", body);
    toast(`Saved ${saved.name}`, "ok");
    cameras = editing ? cameras.map((c) => (c.id === saved.id ? saved : c)) : [...cameras, saved];
    render();
    fill(saved);
  } catch (err) {
    say(message, err.message);
  }
});

$("#camera-new").addEventListener("click", () => {
  fill(null);
  F.name.focus();
});
$("#camera-cancel").addEventListener("click", () => fill(editing ? cameras.find((c) => c.id === editing.id) : null));

function stateBadges(camera) {
  return [
    h("span", { class: `badge ${camera.enabled ? "ok" : "offline"}` }, camera.enabled ? "enabled" : "disabled"),
    " ",
    camera.recognition ? h("span", { class: "chip" }, "recognition") : null,
  ];
}

function row(camera) {
  return h("tr", { dataset: { camera: camera.id } },
    h("td", {}, h("b", { class: "camera-name" }, camera.name), h("div", { class: "muted small" }, `#${camera.id} · ${camera.owner}`)),
    h("td", {}, camera.group || "—", h("div", { class: "muted small" }, camera.location)),
    h("td", { class: "small", style: { wordBreak: "break-all", maxWidth: "260px" } }, camera.stream_url),
    h("td", {}, stateBadges(camera)),
    h("td", { class: "actions" },
      h("button", { class: "small", type: "button", onclick: () => fill(camera) }, camera.can_edit ? "Edit" : "View"),
      h("a", { class: "button small", href: `/snapshot_ui/${camera.id}` }, "Areas"),
      camera.can_edit ? confirmButton("Delete", async () => {
        try {
          await del(`/cameras/${camera.id}`);
          toast(`Deleted ${camera.name}`, "ok");
          if (editing?.id === camera.id) fill(null);
          cameras = cameras.filter((c) => c.id !== camera.id);
          render();
        } catch (err) {
          toastError(err);
        }
      }) : null,
    ),
  );
}

async function load() {
  cameras = await get("/cameras");
  render();
}

function render() {
  clear($("#cameras-body")).append(...cameras.map(row));
  const none = $("#cameras-empty");
  none.hidden = cameras.length > 0;
  clear(none).append(empty("No cameras yet", "Add one with the form: an RTSP/HTTP URL, a video file or a USB device."));
}

await load();
const wanted = Number(new URLSearchParams(location.search).get("edit"));
fill(cameras.find((c) => c.id === wanted) || null);
if (data.user?.role === "viewer") $("#camera-new").hidden = true;
