// System (admin): which ingest / worker process holds which camera, per-camera counters, per-stage latency, storage.
import { get } from "../lib/api.js";
import { $, clear, empty, h } from "../lib/dom.js";
import { bytes, label, num } from "../lib/format.js";

const REFRESH_MS = 3000;
// Pipeline order; stages a newer worker reports are appended after these.
const STAGES = ["frame_age", "decode", "pose", "tracking", "actions", "drawing", "publish", "events", "total"];

function stat(title, value, id) {
  return h("div", { class: "stat" }, h("span", { class: "muted small" }, title), h("b", { id }, value));
}

function cameraName(cameras, id) {
  return cameras.get(id)?.name ?? `camera ${id}`;
}

function chips(cameras, ids) {
  return ids.length ? ids.map((id) => h("span", { class: "chip", dataset: { camera: id } }, cameraName(cameras, id))) : h("span", { class: "muted" }, "none");
}

function renderSystem(system, cameras) {
  const unassigned = Object.values(system.unassigned || {}).flat();
  clear($("#system-stats")).append(
    stat("Media storage", bytes(system.storage_bytes), "stat-storage"),
    stat("Disk free", bytes(system.disk_free_bytes), "stat-free"),
    stat("Processes", String(system.processes.length), "stat-processes"),
    stat("Unassigned cameras", String(new Set(unassigned).size), "stat-unassigned"),
  );
  const rows = [...system.processes].sort((a, b) => a.role.localeCompare(b.role) || a.member_id.localeCompare(b.member_id));
  clear($("#process-body")).append(
    ...rows.map((p) => h("tr", { dataset: { process: p.member_id, role: p.role } },
      h("td", {}, h("span", { class: "badge active" }, p.role)),
      h("td", {}, h("code", {}, p.member_id)),
      h("td", {}, chips(cameras, p.cameras)))),
    ...Object.entries(system.unassigned || {}).filter(([, ids]) => ids.length).map(([role, ids]) =>
      h("tr", { dataset: { unassigned: role } },
        h("td", {}, h("span", { class: "badge offline" }, role)),
        h("td", { class: "muted" }, "not held by any process"),
        h("td", {}, chips(cameras, ids)))),
  );
  clear($("#process-empty"));
  if (!rows.length) $("#process-empty").append(empty("No live processes", "Start `videohar up` (or ingest and worker processes) to see them here."));
}

function renderCameras(cameras, statuses) {
  const body = clear($("#camera-body"));
  const stageSet = new Set(STAGES);
  for (const s of statuses.values()) for (const k of Object.keys(s?.detail?.recognition?.latency_ms || {})) stageSet.add(k);
  const stages = [...stageSet];
  clear($("#latency-head")).append(h("th", {}, "Camera"), ...stages.map((k) => h("th", { dataset: { stage: k } }, label(k))));
  const latency = clear($("#latency-body"));
  if (!cameras.size) {
    body.append(h("tr", {}, h("td", { colspan: 11, class: "muted" }, "No cameras.")));
    return;
  }
  for (const camera of cameras.values()) {
    const s = statuses.get(camera.id) || { state: "unknown", detail: {} };
    const d = s.detail || {};
    const rec = d.recognition || {};
    const state = s.state === "online" ? "active" : s.state;
    body.append(h("tr", { dataset: { camera: camera.id } },
      h("td", {}, camera.name),
      h("td", {}, h("span", { class: `badge ${state}`, title: s.reason || "" }, label(s.state))),
      h("td", { dataset: { stat: "decoded_fps" } }, num(d.decoded_fps)),
      h("td", { dataset: { stat: "published_fps" } }, num(d.published_fps)),
      h("td", { dataset: { stat: "dropped_frames" } }, d.dropped_frames ?? "—"),
      h("td", { dataset: { stat: "reconnects" } }, d.reconnects ?? "—"),
      h("td", { dataset: { stat: "stalls" } }, d.stalls ?? "—"),
      h("td", { dataset: { stat: "fps" } }, num(rec.fps)),
      h("td", { dataset: { stat: "skipped" } }, rec.skipped ?? "—"),
      h("td", { dataset: { stat: "people" } }, rec.people ?? "—"),
      h("td", { dataset: { stat: "tracks" } }, rec.tracks ?? "—"),
    ));
    const ms = rec.latency_ms || {};
    const total = ms.total || Math.max(...Object.values(ms).filter((v) => typeof v === "number"), 1);
    latency.append(h("tr", { dataset: { camera: camera.id } },
      h("td", {}, camera.name),
      ...stages.map((k) => h("td", { dataset: { stage: k } },
        typeof ms[k] === "number"
          ? [num(ms[k]), h("div", { class: "meter" }, h("span", { style: { width: `${Math.min(100, (100 * ms[k]) / total)}%` } }))]
          : "—")),
    ));
  }
}

async function refresh() {
  try {
    const [system, list] = await Promise.all([get("/system"), get("/cameras")]);
    const cameras = new Map(list.map((c) => [c.id, c]));
    renderSystem(system, cameras);
    const statuses = new Map(await Promise.all(list.map(async (c) => {
      try {
        return [c.id, await get(`/cameras/${c.id}/status`)];
      } catch {
        return [c.id, null];
      }
    })));
    renderCameras(cameras, statuses);
    $("#system-updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    clear($("#system-stats")).append(empty("System status could not be loaded", err.message));
  }
}

await refresh();
setInterval(refresh, REFRESH_MS);
