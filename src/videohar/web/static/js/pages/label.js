// Labelling view: the clip's video with every person's skeleton, one timeline lane per track, segments made by
// dragging or by the keyboard ([ and ] at the playhead), edge nudging by frame, label hotkeys, pre-label review.
import { del, get, patch, post } from "../lib/api.js";
import { $, clear, empty, h } from "../lib/dom.js";
import { label, pct } from "../lib/format.js";
import { SkeletonOverlay, lastAtOrBefore } from "../lib/skeleton.js";
import { toast, toastError } from "../lib/toast.js";

const params = new URLSearchParams(location.search);
const datasetId = Number(params.get("dataset"));
const clipId = Number(params.get("clip"));
const base = `/datasets/${datasetId}/clips/${clipId}`;

const state = { dataset: null, clip: null, segments: [], labels: [], current: null, track: null, selected: null, mark: null, frames: 1, fps: 10 };
let video = null;

// ---- time <-> frames ---------------------------------------------------------------------------
const clampFrame = (frame) => Math.max(0, Math.min(state.frames - 1, frame));
// Each frame's time in the video, from the skeleton file: recorded and event clips keep their capture times, which
// are uneven (a slow first frame, dropped frames), so frame i is not at i / fps. Labels name skeleton frames, so the
// playhead must show exactly the picture of the frame it names.
let frameTimes = null;
const timeOf = (frame) => (frameTimes ? frameTimes[frame] : frame / state.fps);
function frameAtTime() {
  const t = video.currentTime + 1e-3;
  return clampFrame(frameTimes ? lastAtOrBefore(frameTimes, t) : Math.floor(t * state.fps));
}
// While paused, the frame is the one stepped to, not one read back from the video's time: the video may end a
// little before frames / fps (the clip's fps is rounded, recorded frames are unevenly spaced), so a seek to the
// last frame comes back clamped and would read as the frame before. null while playing.
let pausedFrame = 0;
const frameNow = () => pausedFrame ?? frameAtTime();
function seekFrame(frame) {
  frame = clampFrame(frame);
  pausedFrame = frame;
  video.pause();
  video.currentTime = timeOf(frame) + 0.005;
  updatePlayhead(frame);
}
const pctOf = (frame) => `${(100 * frame) / state.frames}%`;
function frameAtX(body, clientX) {
  const r = body.getBoundingClientRect();
  return Math.max(0, Math.min(state.frames - 1, Math.floor(((clientX - r.left) / r.width) * state.frames)));
}

// ---- segments through the API -------------------------------------------------------------------
const byId = (id) => state.segments.find((s) => s.id === id);
const labelOf = (name) => state.labels.find((l) => l.name === name) || { name, color: "#757575" };
const pending = (s) => s.source === "model" && s.accepted === null;

async function createSegment(track, start, end) {
  if (end <= start) [start, end] = [end, start + 1];
  try {
    const seg = await post(`${base}/segments`, { track_id: track, start_frame: start, end_frame: end, label: state.current });
    state.segments.push(seg);
    state.selected = seg.id;
    state.mark = null;
    toast(`Added ${label(seg.label)} · frames ${seg.start_frame}–${seg.end_frame - 1}`, "ok", { timeout: 2500 });
    renderAll();
  } catch (err) {
    toastError(err);
  }
}

async function updateSegment(id, changes) {
  try {
    const seg = await patch(`${base}/segments/${id}`, changes);
    state.segments = state.segments.map((s) => (s.id === id ? seg : s));
    renderAll();
  } catch (err) {
    toastError(err);
  }
}

async function deleteSegment(id) {
  try {
    await del(`${base}/segments/${id}`);
    state.segments = state.segments.filter((s) => s.id !== id);
    state.selected = null;
    renderAll();
  } catch (err) {
    toastError(err);
  }
}

/** Accept or reject a model pre-label, then select the next one still pending (review with Enter / Delete). */
async function review(seg, accepted) {
  await updateSegment(seg.id, { accepted });
  const next = [...state.segments].filter(pending).sort((a, b) => a.start_frame - b.start_frame || a.track_id - b.track_id)[0];
  if (next) select(next.id);
}

function nudge(edge, delta) {
  const seg = byId(state.selected);
  if (!seg) return;
  const start = edge === "start" ? seg.start_frame + delta : seg.start_frame;
  const end = edge === "end" ? seg.end_frame + delta : seg.end_frame;
  if (start < 0 || end > state.frames || end <= start) return;
  updateSegment(seg.id, edge === "start" ? { start_frame: start } : { end_frame: end });
}

// ---- rendering ------------------------------------------------------------------------------------
function renderPicker() {
  clear($("#label-picker")).append(...state.labels.map((l) => h("button", {
    type: "button", class: `small${l.name === state.current ? " on" : ""}`, dataset: { label: l.name },
    onclick: () => pickLabel(l.name),
  }, h("span", { class: "swatch", style: { background: l.color } }), label(l.name), l.hotkey ? h("kbd", {}, l.hotkey) : null)));
}

function segmentEl(seg) {
  const el = h("div", {
    class: `segment${pending(seg) ? " pending" : ""}${seg.accepted === false ? " rejected" : ""}${seg.id === state.selected ? " selected" : ""}`,
    dataset: { segment: seg.id, label: seg.label },
    title: `${label(seg.label)} · frames ${seg.start_frame}–${seg.end_frame - 1}${seg.score != null ? ` · ${pct(seg.score)}` : ""}`,
    style: { left: pctOf(seg.start_frame), width: pctOf(seg.end_frame - seg.start_frame), background: labelOf(seg.label).color },
  }, label(seg.label));
  el.addEventListener("pointerdown", (e) => {
    e.stopPropagation();
    select(seg.id);
  });
  return el;
}

function renderTimeline() {
  const tracks = [...new Set([...(state.clip.track_ids || []), ...state.segments.map((s) => s.track_id)])].sort((a, b) => a - b);
  if (state.track === null && tracks.length) state.track = tracks[0];
  const timeline = clear($("#timeline"));
  if (!tracks.length) return timeline.append(empty("No people in this clip", "Its skeleton file has no tracks to label."));
  for (const track of tracks) {
    const body = h("div", { class: "lane-body", dataset: { track } },
      ...state.segments.filter((s) => s.track_id === track).map(segmentEl),
      h("div", { class: "playhead" }),
      state.mark && state.mark.track === track ? h("div", { class: "mark", style: { left: pctOf(state.mark.start) } }) : null);
    attachDrag(body, track);
    const name = h("div", { class: "lane-name", onclick: () => ((state.track = track), renderTimeline()) }, `person ${track}`);
    timeline.append(h("div", { class: `lane${track === state.track ? " selected" : ""}`, dataset: { track } }, name, body));
  }
  updatePlayhead(frameNow());
}

function attachDrag(body, track) {
  body.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const start = frameAtX(body, e.clientX);
    state.track = track;
    const ghost = h("div", { class: "segment ghost", style: { left: pctOf(start), width: pctOf(1) } });
    body.append(ghost);
    body.setPointerCapture(e.pointerId);
    let end = start;
    const move = (ev) => {
      end = frameAtX(body, ev.clientX);
      const [a, b] = [Math.min(start, end), Math.max(start, end)];
      Object.assign(ghost.style, { left: pctOf(a), width: pctOf(b - a + 1) });
    };
    const up = () => {
      body.removeEventListener("pointermove", move);
      body.removeEventListener("pointerup", up);
      ghost.remove();
      if (Math.abs(end - start) >= 1) createSegment(track, Math.min(start, end), Math.max(start, end) + 1);
      else {
        state.selected = null;
        seekFrame(start);
        renderAll();
      }
    };
    body.addEventListener("pointermove", move);
    body.addEventListener("pointerup", up);
  });
}

function renderDetail() {
  const seg = byId(state.selected);
  const box = clear($("#segment-detail"));
  if (!seg) return box.append(h("p", { class: "muted" }, "None. Click a segment, or drag on a lane to make one."));
  box.append(
    h("dl", { class: "kv" },
      h("dt", {}, "Label"), h("dd", { id: "sel-label" }, label(seg.label)),
      h("dt", {}, "Person"), h("dd", {}, String(seg.track_id)),
      h("dt", {}, "Frames"), h("dd", { id: "sel-frames" }, `${seg.start_frame} – ${seg.end_frame - 1}`),
      h("dt", {}, "Source"), h("dd", {}, seg.source === "model" ? `model ${pct(seg.score)} · ${seg.accepted === null ? "pending" : seg.accepted ? "accepted" : "rejected"}` : "you")),
    h("div", { class: "row gap-top" },
      h("span", { class: "muted small" }, "start"),
      h("button", { type: "button", class: "small", id: "start-minus", onclick: () => nudge("start", -1) }, "−1"),
      h("button", { type: "button", class: "small", id: "start-plus", onclick: () => nudge("start", 1) }, "+1"),
      h("span", { class: "muted small" }, "end"),
      h("button", { type: "button", class: "small", id: "end-minus", onclick: () => nudge("end", -1) }, "−1"),
      h("button", { type: "button", class: "small", id: "end-plus", onclick: () => nudge("end", 1) }, "+1")),
    h("div", { class: "row gap-top" },
      pending(seg) || seg.accepted === false ? h("button", { type: "button", class: "small primary", id: "accept-segment", title: "Accept (Enter)", onclick: () => review(seg, true) }, "Accept") : null,
      pending(seg) ? h("button", { type: "button", class: "small", id: "reject-segment", title: "Reject (Delete)", onclick: () => review(seg, false) }, "Reject") : null,
      h("button", { type: "button", class: "small", onclick: () => seekFrame(seg.start_frame) }, "Go to start"),
      h("button", { type: "button", class: "small danger", id: "delete-segment", onclick: () => deleteSegment(seg.id) }, "Delete")),
  );
}

function renderList() {
  const list = clear($("#segment-list"));
  if (!state.segments.length) return list.append(h("p", { class: "muted" }, "No segments yet."));
  const sorted = [...state.segments].sort((a, b) => a.start_frame - b.start_frame || a.track_id - b.track_id);
  list.append(h("div", { class: "segment-list" }, sorted.map((s) => h("button", {
    type: "button", class: `segment-item${s.id === state.selected ? " selected" : ""}`, dataset: { segmentItem: s.id },
    onclick: () => (select(s.id), seekFrame(s.start_frame)),
  }, h("span", { class: "swatch", style: { background: labelOf(s.label).color } }), h("b", {}, label(s.label)),
  h("span", { class: "muted small" }, `person ${s.track_id} · ${s.start_frame}–${s.end_frame - 1}`),
  pending(s) ? h("span", { class: "badge new" }, "pre-label") : s.accepted === false ? h("span", { class: "badge offline" }, "rejected") : null))));
}

function renderAll() {
  renderPicker();
  renderTimeline();
  renderDetail();
  renderList();
  const m = state.mark;
  $("#mark-info").textContent = m ? `start mark at frame ${m.start} (person ${m.track}) — press ] at the end` : "";
}

function updatePlayhead(frame) {
  $("#frame-now").textContent = String(frame);
  for (const ph of document.querySelectorAll(".playhead")) ph.style.left = pctOf(frame);
}

function select(id) {
  state.selected = id;
  const seg = byId(id);
  if (seg) state.track = seg.track_id;
  renderAll();
}

function pickLabel(name) {
  state.current = name;
  const seg = byId(state.selected);
  if (seg && seg.label !== name) updateSegment(seg.id, { label: name });
  else renderPicker();
}

// ---- keyboard -------------------------------------------------------------------------------------
function onKey(e) {
  if (e.target.closest?.("input, select, textarea") || e.ctrlKey || e.metaKey) return;
  const frame = frameNow();
  const seg = byId(state.selected);
  const hotkey = state.labels.find((l) => l.hotkey && l.hotkey.toLowerCase() === e.key.toLowerCase());
  if (e.key === " ") {
    video.paused ? video.play() : video.pause();
  } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
    const delta = e.key === "ArrowLeft" ? -1 : 1;
    if (e.altKey) nudge("start", delta);
    else if (e.shiftKey) nudge("end", delta);
    else seekFrame(frame + delta);
  } else if (e.key === "[") {
    if (seg) {
      if (frame < seg.end_frame) updateSegment(seg.id, { start_frame: frame });
    } else if (state.track !== null) {
      state.mark = { track: state.track, start: frame };
      renderAll();
    }
  } else if (e.key === "]") {
    if (seg) {
      if (frame + 1 > seg.start_frame) updateSegment(seg.id, { end_frame: frame + 1 });
    } else if (state.mark) createSegment(state.mark.track, state.mark.start, frame + 1);
  } else if (e.key === "Enter" && seg && seg.source === "model") {
    review(seg, true);
  } else if ((e.key === "Delete" || e.key === "Backspace") && seg) {
    pending(seg) ? review(seg, false) : deleteSegment(seg.id);
  } else if (e.key === "Escape") {
    state.selected = null;
    state.mark = null;
    renderAll();
  } else if (hotkey && !e.altKey) {
    pickLabel(hotkey.name);
  } else return;
  e.preventDefault();
}

// ---- pre-labels ---------------------------------------------------------------------------------------
const PRELABEL_POLL_MS = 500;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start a `prelabel` job with the model this clip's camera runs, follow it, then show its proposals selected. */
async function prelabel() {
  const button = $("#prelabel");
  const info = $("#prelabel-status");
  button.disabled = true;
  try {
    const minScore = Math.min(100, Math.max(0, Number($("#prelabel-min").value) || 0)) / 100;
    const started = await post(`${base}/prelabel`, { min_score: minScore });
    let job = await get(`/jobs/${started.job_id}`);
    while (["queued", "running"].includes(job.status)) {
      info.textContent = job.status === "queued" ? `model #${started.model_id}: waiting for a trainer process…` : `model #${started.model_id}: ${pct(job.progress?.fraction ?? 0)} of the people scored`;
      await sleep(PRELABEL_POLL_MS);
      job = await get(`/jobs/${started.job_id}`);
    }
    if (job.status !== "succeeded") throw new Error(`pre-labelling ${job.status}: ${job.error || "no reason given"}`);
    state.segments = await get(`${base}/segments`);
    const first = state.segments.filter(pending).sort((a, b) => a.start_frame - b.start_frame || a.track_id - b.track_id)[0];
    if (first) state.selected = first.id;
    const n = job.result?.proposals ?? state.segments.filter(pending).length;
    toast(n ? `${n} pre-label${n === 1 ? "" : "s"} to review: Enter accepts, Delete rejects` : "The model proposed nothing above that confidence", "ok");
    renderAll();
  } catch (err) {
    toastError(err);
  } finally {
    info.textContent = "";
    button.disabled = false;
  }
}

// ---- start ------------------------------------------------------------------------------------------
async function start() {
  [state.dataset, state.clip, state.segments] = await Promise.all([get(`/datasets/${datasetId}`), get(base), get(`${base}/segments`)]);
  state.labels = state.dataset.labels;
  state.current = state.labels[0]?.name ?? null;
  state.fps = state.clip.fps || 10;
  state.frames = Math.max(1, state.clip.frames);
  $("#clip-title").textContent = state.clip.name;
  document.title = `${state.clip.name} · VideoAnalysisHAR`;
  $("#back-to-dataset").href = `/ui/datasets?dataset=${datasetId}`;
  const status = $("#clip-label-status");
  status.textContent = label(state.clip.label_status);
  status.className = `badge ${state.clip.label_status}`;
  $("#frame-total").textContent = String(state.frames);

  const canvas = h("canvas");
  video = h("video", { preload: "auto", playsinline: true, muted: true, src: `${base}/media/video`, id: "label-video" });
  const overlay = new SkeletonOverlay(video, canvas);
  clear($("#label-player")).append(state.clip.has_video ? video : empty("No video", "This clip has skeletons only."), canvas);
  const doc = await get(`${base}/media/skeleton`).catch(() => null);
  if (doc) {
    const times = [...(doc.frames || [])].sort((a, b) => a.index - b.index).map((f) => Number(f.t));
    if (times.length === state.frames && times.every((t, i) => Number.isFinite(t) && (i === 0 || t > times[i - 1]))) {
      frameTimes = times;
    }
    overlay.load(doc);
  } else overlay.stop();
  video.addEventListener("timeupdate", () => updatePlayhead(frameNow()));
  video.addEventListener("seeked", () => updatePlayhead(frameNow()));
  video.addEventListener("play", () => {
    pausedFrame = null;
    $("#play").textContent = "Pause";
  });
  video.addEventListener("pause", () => {
    pausedFrame ??= frameAtTime();
    updatePlayhead(frameNow());
    $("#play").textContent = "Play";
  });
  const tick = () => {
    if (!video.paused) updatePlayhead(frameNow());
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  $("#play").addEventListener("click", () => (video.paused ? video.play() : video.pause()));
  $("#frame-prev").addEventListener("click", () => seekFrame(frameNow() - 1));
  $("#frame-next").addEventListener("click", () => seekFrame(frameNow() + 1));
  $("#mark-clip-reviewed").addEventListener("click", async () => {
    try {
      const clip = await patch(base, { label_status: "reviewed" });
      status.textContent = label(clip.label_status);
      status.className = `badge ${clip.label_status}`;
      toast("Clip marked reviewed", "ok");
    } catch (err) {
      toastError(err);
    }
  });
  $("#prelabel").addEventListener("click", prelabel);
  document.addEventListener("keydown", onKey);
  renderAll();
  document.body.dataset.ready = "1";
}

start().catch((err) => clear($(".labeller")).append(empty("This clip could not be opened", err.message)));
