// Focus-area editor (/snapshot_ui/{id}): rectangles and polygons drawn on the latest frame,
// saved all at once with PUT /cameras/{id}/areas (the server replaces them atomically).
import { get, put } from "../lib/api.js";
import { $, $$, clear, empty, h, pageData, say } from "../lib/dom.js";
import { toast } from "../lib/toast.js";
import { label } from "../lib/format.js";

const ACTIONS = ["fall", "lying", "hands_up", "running", "loitering", "intrusion"];
const PALETTE = ["#ffcc00", "#3b9eff", "#3fb950", "#f85149", "#d2a8ff", "#ff9e3b"];
const HANDLE_PX = 9; // screen pixels around a corner that grab it

const data = pageData();
const apis = data.apis || {};
const cameraId = data.camera_id;
const canvas = $("#area-canvas");
const ctx = canvas.getContext("2d");
const message = $("#areas-message");

const state = {
  areas: [],
  selected: -1,
  tool: "select",
  draft: null, // {kind: "rect", a, b} | {kind: "polygon", points, hover}
  drag: null, // {type: "move", last} | {type: "vertex", index}
  dirty: false,
  image: null,
  canEdit: true,
};

// ---- geometry ---------------------------------------------------------------------------
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
const scale = () => canvas.width / canvas.getBoundingClientRect().width;

function framePoint(event) {
  const box = canvas.getBoundingClientRect();
  const s = canvas.width / box.width;
  return [clamp((event.clientX - box.left) * s, 0, canvas.width), clamp((event.clientY - box.top) * s, 0, canvas.height)];
}

function rectPoints(a, b) {
  const [x1, x2] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
  const [y1, y2] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
  return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
}

function inside(point, polygon) {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

const near = (p, q, px = HANDLE_PX) => Math.hypot(p[0] - q[0], p[1] - q[1]) <= px * scale();

// ---- drawing ----------------------------------------------------------------------------
function drawBackground() {
  if (state.image) return ctx.drawImage(state.image, 0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#0b1016";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#1c2630";
  ctx.lineWidth = 1;
  for (let x = 0; x < canvas.width; x += 80) ctx.strokeRect(x, 0, 80, canvas.height);
  for (let y = 0; y < canvas.height; y += 80) ctx.strokeRect(0, y, canvas.width, 80);
  ctx.fillStyle = "#8b98a5";
  ctx.font = `${Math.round(18 * scale())}px system-ui, sans-serif`;
  ctx.fillText(`No snapshot yet · ${canvas.width}×${canvas.height} frame`, 16 * scale(), 30 * scale());
}

function tracePath(points, close = true) {
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  if (close) ctx.closePath();
}

function drawArea(area, selected) {
  const s = scale();
  tracePath(area.points);
  ctx.fillStyle = `${area.color}${selected ? "44" : "26"}`;
  ctx.fill();
  ctx.lineWidth = (selected ? 3 : 2) * s;
  ctx.strokeStyle = area.color;
  ctx.stroke();
  const [x, y] = area.points.reduce((m, p) => [Math.min(m[0], p[0]), Math.min(m[1], p[1])], [Infinity, Infinity]);
  ctx.font = `600 ${Math.round(14 * s)}px system-ui, sans-serif`;
  const text = area.name || "(unnamed)";
  const w = ctx.measureText(text).width + 10 * s;
  ctx.fillStyle = "rgba(0,0,0,.65)";
  ctx.fillRect(x, Math.max(y - 22 * s, 0), w, 20 * s);
  ctx.fillStyle = area.color;
  ctx.fillText(text, x + 5 * s, Math.max(y - 22 * s, 0) + 15 * s); // canvas text: never parsed as HTML
  if (selected) {
    for (const [px, py] of area.points) {
      ctx.fillStyle = "#fff";
      ctx.fillRect(px - 5 * s, py - 5 * s, 10 * s, 10 * s);
      ctx.strokeStyle = area.color;
      ctx.lineWidth = 2 * s;
      ctx.strokeRect(px - 5 * s, py - 5 * s, 10 * s, 10 * s);
    }
  }
}

function draw() {
  drawBackground();
  state.areas.forEach((a, i) => drawArea(a, i === state.selected));
  const d = state.draft;
  if (!d) return;
  ctx.setLineDash([8 * scale(), 6 * scale()]);
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 2 * scale();
  if (d.kind === "rect") tracePath(rectPoints(d.a, d.b));
  else tracePath(d.hover ? [...d.points, d.hover] : d.points, false);
  ctx.stroke();
  ctx.setLineDash([]);
  if (d.kind === "polygon") for (const [x, y] of d.points) ctx.fillRect(x - 3 * scale(), y - 3 * scale(), 6 * scale(), 6 * scale());
}

// ---- model changes ----------------------------------------------------------------------
function markDirty(dirty = true) {
  state.dirty = dirty;
  $("#areas-dirty").hidden = !dirty;
}

function addArea(kind, points) {
  const n = state.areas.length + 1;
  state.areas.push({ name: `area ${n}`, kind, points, color: PALETTE[(n - 1) % PALETTE.length], actions: [], dwell_seconds: 30 });
  state.selected = state.areas.length - 1;
  markDirty();
  renderList();
  draw();
}

function removeArea(index) {
  state.areas.splice(index, 1);
  state.selected = -1;
  markDirty();
  renderList();
  draw();
}

function select(index) {
  state.selected = index;
  $$(".area-item").forEach((el, i) => el.classList.toggle("selected", i === index));
  draw();
}

function finishPolygon() {
  const d = state.draft;
  if (!d || d.kind !== "polygon") return;
  const points = d.points.filter((p, i) => i === 0 || !near(p, d.points[i - 1], 3));
  state.draft = null;
  if (points.length >= 3) addArea("polygon", points);
  else draw();
}

function setTool(tool) {
  state.tool = tool;
  state.draft = null;
  $$("[data-tool]").forEach((b) => b.classList.toggle("on", b.dataset.tool === tool));
  canvas.classList.toggle("select", tool === "select");
  draw();
}

// ---- pointer and keyboard ---------------------------------------------------------------
canvas.addEventListener("pointerdown", (e) => {
  if (!state.canEdit) return;
  const p = framePoint(e);
  if (state.tool === "rect") {
    state.draft = { kind: "rect", a: p, b: p };
    canvas.setPointerCapture(e.pointerId);
  } else if (state.tool === "polygon") {
    const d = (state.draft ??= { kind: "polygon", points: [], hover: null });
    if (d.points.length >= 3 && near(p, d.points[0])) return finishPolygon();
    d.points.push(p);
  } else {
    const area = state.areas[state.selected];
    const vertex = area ? area.points.findIndex((q) => near(p, q)) : -1;
    if (vertex >= 0) state.drag = { type: "vertex", index: vertex };
    else {
      let hit = -1;
      for (let i = state.areas.length - 1; i >= 0 && hit < 0; i--) if (inside(p, state.areas[i].points)) hit = i;
      select(hit);
      state.drag = hit >= 0 ? { type: "move", last: p } : null;
    }
    if (state.drag) canvas.setPointerCapture(e.pointerId);
  }
  draw();
});

canvas.addEventListener("pointermove", (e) => {
  const p = framePoint(e);
  const d = state.draft;
  if (d?.kind === "rect") d.b = p;
  else if (d?.kind === "polygon") d.hover = p;
  else if (state.drag) {
    const area = state.areas[state.selected];
    if (state.drag.type === "move") {
      const xs = area.points.map((q) => q[0]);
      const ys = area.points.map((q) => q[1]);
      const dx = clamp(p[0] - state.drag.last[0], -Math.min(...xs), canvas.width - Math.max(...xs));
      const dy = clamp(p[1] - state.drag.last[1], -Math.min(...ys), canvas.height - Math.max(...ys));
      area.points = area.points.map(([x, y]) => [x + dx, y + dy]);
      state.drag.last = [state.drag.last[0] + dx, state.drag.last[1] + dy];
    } else if (area.kind === "rect") {
      area.points = rectPoints(p, area.points[(state.drag.index + 2) % 4]);
      state.drag.index = area.points.findIndex((q) => q[0] === p[0] && q[1] === p[1]);
    } else {
      area.points[state.drag.index] = p;
    }
    markDirty();
  } else return;
  draw();
});

canvas.addEventListener("pointerup", () => {
  const d = state.draft;
  if (d?.kind === "rect") {
    state.draft = null;
    const [[x1, y1], , [x2, y2]] = rectPoints(d.a, d.b);
    if (x2 - x1 >= 4 && y2 - y1 >= 4) addArea("rect", rectPoints(d.a, d.b));
    else draw();
  }
  state.drag = null;
});

canvas.addEventListener("dblclick", finishPolygon);

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea")) return;
  if (e.key === "Enter") finishPolygon();
  else if (e.key === "Escape") {
    state.draft = null;
    draw();
  } else if ((e.key === "Delete" || e.key === "Backspace") && state.selected >= 0) removeArea(state.selected);
  else if (e.key === "v") setTool("select");
  else if (e.key === "r") setTool("rect");
  else if (e.key === "p") setTool("polygon");
});

$$("[data-tool]").forEach((b) => b.addEventListener("click", () => setTool(b.dataset.tool)));

// ---- side list --------------------------------------------------------------------------
function areaItem(area, index) {
  const edit = (fn) => (e) => {
    fn(e.target);
    markDirty();
    draw();
  };
  const swatch = h("span", { class: "swatch", style: { background: area.color } });
  const actionBoxes = ACTIONS.map((name) =>
    h("label", { class: "check" },
      h("input", {
        type: "checkbox", checked: area.actions.includes(name), disabled: !state.canEdit,
        onchange: edit((t) => {
          area.actions = t.checked ? [...area.actions, name] : area.actions.filter((a) => a !== name);
        }),
      }),
      label(name)),
  );
  return h("div", { class: `area-item${index === state.selected ? " selected" : ""}`, dataset: { index }, onclick: () => select(index) },
    h("div", { class: "row" },
      swatch,
      h("input", {
        type: "text", value: area.name, maxlength: 100, "aria-label": "Area name", class: "area-name", disabled: !state.canEdit,
        style: { flex: 1, width: "auto" }, oninput: edit((t) => (area.name = t.value)),
      }),
      h("input", {
        type: "color", value: area.color, "aria-label": "Colour", disabled: !state.canEdit,
        oninput: edit((t) => {
          area.color = t.value;
          swatch.style.background = t.value;
        }),
      }),
    ),
    h("div", { class: "muted small", style: { margin: ".3rem 0" } }, `${area.kind === "rect" ? "rectangle" : "polygon"} · ${area.points.length} points · reacts to ${area.actions.length ? "the checked actions" : "all actions"}`),
    h("div", {}, actionBoxes),
    h("div", { class: "row" },
      h("label", { style: { margin: 0 } }, "Dwell (s)"),
      h("input", {
        type: "number", min: 0, max: 86400, step: 1, value: area.dwell_seconds, style: { width: "90px" }, disabled: !state.canEdit,
        "aria-label": "Dwell seconds", oninput: edit((t) => (area.dwell_seconds = t.value === "" ? 0 : Number(t.value))),
      }),
      h("span", { class: "spacer" }),
      state.canEdit ? h("button", { type: "button", class: "danger small", onclick: (e) => (e.stopPropagation(), removeArea(index)) }, "Delete") : null,
    ),
  );
}

function renderList() {
  const list = clear($("#area-list"));
  $("#areas-count").textContent = `(${state.areas.length})`;
  if (!state.areas.length) return list.append(empty("No areas", "Draw a rectangle or a polygon on the frame."));
  list.append(...state.areas.map(areaItem));
}

// ---- load and save ----------------------------------------------------------------------
function setAreas(areas) {
  state.areas = areas.map(({ name, kind, points, color, actions, dwell_seconds }) => ({
    name, kind, points: points.map(([x, y]) => [x, y]), color, actions: actions || [], dwell_seconds,
  }));
  state.selected = -1;
  markDirty(false);
  renderList();
  draw();
}

async function loadAreas() {
  setAreas(await get(`/cameras/${cameraId}/areas`));
}

async function save() {
  const body = state.areas.map((a) => ({
    ...a,
    points: a.points.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]),
  }));
  try {
    setAreas(await put(`/cameras/${cameraId}/areas`, body)); // the stored areas, as the server validated them
    say(message, "");
    toast(`Saved ${body.length} area${body.length === 1 ? "" : "s"}`, "ok");
  } catch (err) {
    say(message, `Not saved: ${err.message}`);
  }
}

$("#areas-save").addEventListener("click", save);
$("#areas-revert").addEventListener("click", loadAreas);
window.addEventListener("beforeunload", (e) => {
  if (state.dirty) e.preventDefault();
});

async function frameSize() {
  if (!apis["/cameras/{camera_id}/status"]) return null;
  try {
    const status = await get(`/cameras/${cameraId}/status`, { redirect: false });
    const { width, height } = status.detail || {};
    return width > 0 && height > 0 ? [width, height] : null;
  } catch {
    return null;
  }
}

function loadSnapshot() {
  if (!apis["/get_snapshot/{camera_id}"]) return Promise.resolve(null);
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = `/get_snapshot/${cameraId}?t=${Date.now()}`;
  });
}

try {
  const camera = await get(`/cameras/${cameraId}`);
  $("#camera-name").textContent = camera.name;
  document.title = `Focus areas · ${camera.name} · VideoAnalysisHAR`;
  state.canEdit = camera.can_edit;
  const [image, size] = await Promise.all([loadSnapshot(), frameSize()]);
  state.image = image;
  const [w, h_] = image ? [image.naturalWidth, image.naturalHeight] : size || [1280, 720];
  canvas.width = w;
  canvas.height = h_;
  if (!state.canEdit) {
    for (const id of ["#areas-save", "#areas-revert", "#tool-rect", "#tool-polygon"]) $(id).disabled = true;
    say(message, "You can view this camera's areas but not change them.", "ok");
  }
  await loadAreas();
  new ResizeObserver(draw).observe(canvas);
} catch (err) {
  say(message, err.status === 404 ? "This camera does not exist or is not shared with you." : err.message);
  for (const b of $$("button")) b.disabled = true;
}
