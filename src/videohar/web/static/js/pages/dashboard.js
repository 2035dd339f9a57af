// Live dashboard: one card per camera with its MJPEG stream, status, fps, people and latest action.
//
// Browsers open at most 6 HTTP/1.1 connections per host and every MJPEG <img> holds one for good,
// so only MAX_LIVE visible cards stream; the others refresh a snapshot every few seconds.
import { get } from "../lib/api.js";
import { onLiveEvent } from "../lib/shell.js";
import { $, $$, clear, empty, h, pageData } from "../lib/dom.js";
import { ago, epoch, label, num, pct } from "../lib/format.js";

const MAX_LIVE = 4;
const SNAPSHOT_EVERY_MS = 3000;
const STATUS_EVERY_MS = 5000;
const RETRIES = 3; // quick media retries before a card says "No signal"

const data = pageData();
const apis = data.apis || {};
const canStream = apis["/get_stream/{camera_id}"] && apis["/recognized_stream/{camera_id}"];
const canSnapshot = apis["/get_snapshot/{camera_id}"];
const cards = new Map(); // camera id -> {camera, el, img, view, visible, live}
let view = localStorage.getItem("vh.view") || "recognized";
const lastAction = new Map();

function streamUrl(card) {
  return card.view === "raw" ? `/get_stream/${card.camera.id}` : `/recognized_stream/${card.camera.id}`;
}

function setMedia(card) {
  const box = card.el.querySelector(".media");
  const wantLive = canStream && card.visible && [...cards.values()].filter((c) => c.live && c !== card).length < MAX_LIVE;
  const src = wantLive ? streamUrl(card) : canSnapshot ? `/get_snapshot/${card.camera.id}?t=${Date.now()}` : null;
  card.live = wantLive;
  const live = wantLive;
  if (!src) {
    clear(box).append(h("div", { class: "placeholder" }, card.camera.enabled ? "Live video is not available on this server yet." : "Camera disabled."));
    card.img = null;
    return;
  }
  if (!card.img) {
    const img = h("img", { alt: "" });
    card.img = img;
    card.failures = 0;
    img.addEventListener("load", () => {
      card.failures = 0;
    });
    img.addEventListener("error", () => mediaFailed(card, img));
    // The text shows through until the first frame covers it.
    clear(box).append(h("div", { class: "placeholder behind" }, live ? "Connecting…" : "Waiting for a frame…"), card.img);
  }
  if (card.img.getAttribute("src") !== src) card.img.src = src;
}

/**
 * An <img> fires `error` only when the server answers with something that is not an image (a stream that
 * ends fires `load`). Most such answers are transient: a 401 because the 15-minute access cookie expired
 * (an <img> cannot refresh it; the status API call below does), a 404 snapshot while the camera starts, a
 * 5xx during a restart. So ask the status API first and retry with backoff; "No signal" is only for a
 * camera that is really not delivering.
 */
async function mediaFailed(card, img) {
  if (card.img !== img) return; // an image replaced since (view toggled, re-rendered): not ours to handle
  card.failures = (card.failures || 0) + 1;
  let status = null;
  if (apis["/cameras/{camera_id}/status"]) {
    try {
      status = await get(`/cameras/${card.camera.id}/status`);
    } catch {
      /* unknown: treat as transient */
    }
  }
  if (card.img !== img) return;
  const down = status && status.state !== "online" && status.state !== "connecting";
  if (down || card.failures > RETRIES) {
    const box = card.el.querySelector(".media");
    clear(box).append(h("div", { class: "placeholder" }, "No signal", status?.reason ? h("div", { class: "small" }, status.reason) : null));
    card.img = null;
    card.live = false; // refreshStatus tries again every few seconds
    return;
  }
  setTimeout(() => {
    if (card.img !== img || !card.visible) return;
    const base = card.live ? streamUrl(card) : `/get_snapshot/${card.camera.id}`;
    img.src = `${base}?retry=${Date.now()}`;
  }, Math.min(4000, 250 * 2 ** card.failures));
}

function stopMedia(card) {
  if (card.img) card.img.removeAttribute("src"); // closes the MJPEG connection
  card.live = false;
}

function stat(name, key) {
  return h("span", {}, `${name} `, h("b", { dataset: { stat: key } }, "—"));
}

function toggleView(card) {
  card.view = card.view === "raw" ? "recognized" : "raw";
  card.el.querySelector("[data-card-view]").textContent = card.view === "raw" ? "Raw" : "Recognized";
  stopMedia(card);
  card.img = null;
  setMedia(card);
}

function buildCard(camera) {
  const el = h("article", { class: "card", dataset: { camera: camera.id } },
    h("div", { class: "card-head" },
      h("span", { class: "card-title", title: camera.name }, camera.name),
      h("span", { class: "chip paused", dataset: { schedule: "" }, hidden: true }, "outside schedule"),
      h("span", { class: "badge", dataset: { status: "" } }, "unknown"),
    ),
    h("div", { class: "media" }),
    h("div", { class: "card-foot" },
      stat("fps", "fps"), stat("people", "people"), stat("action", "action"),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "small", dataset: { cardView: "" }, title: "Switch raw / recognized" }, view === "raw" ? "Raw" : "Recognized"),
      h("button", { type: "button", class: "small", title: "Full screen (or double-click the video)", dataset: { fullscreen: "" } }, "Full screen"),
      camera.can_edit ? h("a", { class: "button small", href: `/snapshot_ui/${camera.id}`, title: "Focus areas" }, "Areas") : null,
    ),
  );
  const card = { camera, el, img: null, view, visible: false, live: false };
  el.querySelector("[data-card-view]").addEventListener("click", () => toggleView(card));
  el.querySelector("[data-fullscreen]").addEventListener("click", () =>
    document.fullscreenElement ? document.exitFullscreen() : el.requestFullscreen?.(),
  );
  el.querySelector(".media").addEventListener("dblclick", () => el.requestFullscreen?.());
  return card;
}

const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const card = cards.get(Number(entry.target.dataset.camera));
    if (!card) continue;
    card.visible = entry.isIntersecting;
    if (card.visible) setMedia(card);
    else stopMedia(card);
  }
});

function render(cameras) {
  const grid = clear($("#camera-grid"));
  const group = $("#group-filter").value;
  const shown = cameras.filter((c) => !group || c.group === group);
  if (!cameras.length) {
    return grid.append(empty("No cameras yet", "Add a camera on the Cameras page to see it here."), h("p", { class: "muted", style: { textAlign: "center" } }, h("a", { href: "/ui/cameras" }, "Go to Cameras")));
  }
  const groups = [...new Set(shown.map((c) => c.group || ""))].sort();
  for (const name of groups) {
    if (groups.length > 1 || name) grid.append(h("div", { class: "group-title" }, name || "No group"));
    const section = h("div", { class: "grid" });
    for (const camera of shown.filter((c) => (c.group || "") === name)) {
      const card = buildCard(camera);
      cards.set(camera.id, card);
      section.append(card.el);
      observer.observe(card.el);
    }
    grid.append(section);
  }
}

function setBadge(card, state) {
  state = state === "inactive" ? "offline" : state === "online" ? "active" : state;
  const badge = card.el.querySelector("[data-status]");
  badge.className = `badge ${state}`;
  badge.textContent = label(state);
}

function setStat(card, key, value) {
  card.el.querySelector(`[data-stat='${key}']`).textContent = value ?? "—";
}

async function refreshStatus() {
  if (apis["/camera_status"]) {
    try {
      const states = await get("/camera_status");
      for (const card of cards.values()) setBadge(card, states[`camera_${card.camera.id}`] || "offline");
    } catch {
      /* keep the last known state */
    }
  }
  if (apis["/cameras/{camera_id}/status"]) {
    await Promise.all([...cards.values()].filter((c) => c.visible).map(async (card) => {
      try {
        // {state, reason, detail: {<ingest counters>, recognition: {fps, people, tracks, last_action, latency_ms}}}
        const s = await get(`/cameras/${card.camera.id}/status`);
        const d = s.detail || {};
        const rec = d.recognition || null;
        setBadge(card, s.state);
        card.el.querySelector("[data-status]").title = s.reason || "";
        const paused = card.el.querySelector("[data-schedule]");
        paused.hidden = rec?.state !== "outside_schedule";
        paused.title = rec?.reason || "";
        const fps = rec ? rec.fps : d.published_fps;
        setStat(card, "fps", num(fps));
        card.el.querySelector("[data-stat='fps']").title = rec ? "frames analysed per second" : "frames published per second (no recognition)";
        setStat(card, "people", rec ? rec.people : null);
        const last = rec?.last_action;
        if (last?.label) {
          setStat(card, "action", `${label(last.label)} ${pct(last.score)}`);
          card.el.querySelector("[data-stat='action']").title = `person ${last.track_id ?? "?"} · ${ago(epoch(last.at))}`;
        } else if (lastAction.has(card.camera.id)) {
          setStat(card, "action", label(lastAction.get(card.camera.id)));
        }
      } catch {
        /* status is best effort */
      }
    }));
  }
  for (const card of cards.values()) if (card.visible && !card.live && canSnapshot) setMedia(card);
}

onLiveEvent((event) => {
  const card = cards.get(event.camera_id);
  if (!card) return;
  lastAction.set(event.camera_id, event.label);
  setStat(card, "action", `${label(event.label)} ${pct(event.score)}`);
  card.el.querySelector("[data-stat='action']").title = ago(event.started_at);
});

function setView(next) {
  view = next;
  localStorage.setItem("vh.view", view);
  $$("[data-view]").forEach((b) => b.classList.toggle("on", b.dataset.view === view));
  for (const card of cards.values()) if (card.view !== view) toggleView(card);
}

const cameras = await get("/cameras");
const groupSelect = $("#group-filter");
for (const g of [...new Set(cameras.map((c) => c.group).filter(Boolean))].sort()) groupSelect.append(h("option", { value: g }, g));
groupSelect.value = localStorage.getItem("vh.group") || "";
if (groupSelect.value !== (localStorage.getItem("vh.group") || "")) groupSelect.value = "";
groupSelect.addEventListener("change", () => {
  localStorage.setItem("vh.group", groupSelect.value);
  for (const card of cards.values()) stopMedia(card);
  cards.clear();
  render(cameras);
});
$$("[data-view]").forEach((b) => b.addEventListener("click", () => setView(b.dataset.view)));
setView(view);
render(cameras);
refreshStatus();
setInterval(refreshStatus, Math.min(STATUS_EVERY_MS, SNAPSHOT_EVERY_MS));
