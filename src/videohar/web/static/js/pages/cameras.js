// Cameras: list, add / edit / delete, recognition settings, snapshot preview.
import { del, get, patch, post } from "../lib/api.js";
import { $, clear, confirmButton, empty, h, pageData, say } from "../lib/dom.js";
import { toast, toastError } from "../lib/toast.js";
import { label } from "../lib/format.js";

const DEFAULT_ACTIONS = ["fall", "lying", "hands_up", "running", "loitering", "intrusion"];
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
    actions,
    thresholds,
  };
}

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
