// Training and models: start a run, follow its progress (epoch, loss, val accuracy, ETA, live curves), read a
// model's confusion matrix and its comparison with the active model, activate it or roll back.
import { get, post } from "../lib/api.js";
import { $, clear, empty, h, pageData, say } from "../lib/dom.js";
import { label, pct, when } from "../lib/format.js";
import { toast, toastError } from "../lib/toast.js";

const POLL_MS = 1000;
const data = pageData();
const isAdmin = data.user?.role === "admin";
const isViewer = data.user?.role === "viewer";
const wantedDataset = new URLSearchParams(location.search).get("dataset");
const histories = new Map(); // job id -> [{epoch, loss, val_loss, val_accuracy}] gathered while polling
let datasets = [];
let cameras = [];
let selectedJob = null;
let selectedModel = null;
let activeId = null;
let defaultId = null;

/** The activation scope picked above the models table: null = the default, else a camera id. */
const scope = () => (Number($("#model-scope").value) || null);
const scopeBody = () => (scope() ? { camera_id: scope() } : {});
const cameraName = (id) => cameras.find((c) => c.id === id)?.name ?? `camera ${id}`;
/** The default needs an admin; a camera needs an operator (the API checks write access to it). */
const canChange = () => !isViewer && (isAdmin || scope() !== null);

const datasetName = (id) => datasets.find((d) => d.id === id)?.name ?? `dataset ${id}`;
const duration = (s) => (typeof s === "number" ? (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`) : "—");

function bar(fraction) {
  return h("div", { class: "progress" }, h("span", { style: { width: `${Math.round(100 * Math.min(1, fraction || 0))}%` } }), h("em", {}, `${Math.round(100 * (fraction || 0))}%`));
}

function remember(job) {
  const p = job.progress || {};
  if (typeof p.epoch !== "number" || !p.epoch || typeof p.loss !== "number") return;
  const list = histories.get(job.id) || [];
  if (!list.some((e) => e.epoch === p.epoch)) list.push({ epoch: p.epoch, loss: p.loss, val_loss: p.val_loss, val_accuracy: p.val_accuracy });
  histories.set(job.id, list);
}

/** Loss (and val loss) on the left scale, val accuracy (0..1) on the right, drawn on a canvas. */
function drawCurves(canvas, history, epochs) {
  const ctx = canvas.getContext("2d");
  const W = (canvas.width = 560);
  const H = (canvas.height = 200);
  const pad = 28;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = "#2a3541";
  ctx.strokeRect(pad, 8, W - 2 * pad, H - pad - 8);
  const maxLoss = Math.max(1e-6, ...history.flatMap((e) => [e.loss, e.val_loss].filter((v) => typeof v === "number")));
  const x = (ep) => pad + ((W - 2 * pad) * ep) / Math.max(1, epochs);
  const series = [["loss", "#3b9eff", (v) => v / maxLoss], ["val_loss", "#d2a8ff", (v) => v / maxLoss], ["val_accuracy", "#3fb950", (v) => v]];
  for (const [key, color, scale] of series) {
    const pts = history.filter((e) => typeof e[key] === "number");
    if (!pts.length) continue;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    pts.forEach((e, i) => {
      const y = 8 + (H - pad - 8) * (1 - scale(e[key]));
      i ? ctx.lineTo(x(e.epoch), y) : ctx.moveTo(x(e.epoch), y);
    });
    ctx.stroke();
    for (const e of pts) ctx.fillRect(x(e.epoch) - 2, 8 + (H - pad - 8) * (1 - scale(e[key])) - 2, 4, 4);
  }
  ctx.fillStyle = "#8b98a5";
  ctx.font = "11px system-ui";
  ctx.fillText(`epoch (of ${epochs})`, W / 2 - 30, H - 8);
  ctx.fillText(`loss ≤ ${maxLoss.toFixed(3)}`, pad + 4, 20);
  ctx.fillText("val acc 0–100%", W - pad - 90, 20);
}

function renderJobDetail(job) {
  const box = $("#job-detail");
  box.hidden = false;
  box.dataset.job = job.id;
  const p = job.progress || {};
  const history = histories.get(job.id) || [];
  const canvas = h("canvas", { class: "curves", id: "job-curves", dataset: { epochs: history.length } });
  clear(box).append(
    h("div", { class: "row" }, h("h2", {}, `Run #${job.id}`), h("span", { class: `badge ${job.status}`, id: "job-status" }, label(job.status)), h("span", { class: "spacer" }),
      ["queued", "running"].includes(job.status) ? h("button", { type: "button", class: "small danger", id: "job-cancel", onclick: () => cancel(job) }, "Cancel") : null),
    bar(p.fraction),
    h("dl", { class: "kv gap-top", id: "job-progress" },
      h("dt", {}, "Stage"), h("dd", {}, label(p.stage || job.status)),
      h("dt", {}, "Epoch"), h("dd", { id: "job-epoch" }, p.epochs ? `${p.epoch ?? 0} / ${p.epochs}` : "—"),
      h("dt", {}, "Loss"), h("dd", { id: "job-loss" }, typeof p.loss === "number" ? p.loss.toFixed(4) : "—"),
      h("dt", {}, "Val accuracy"), h("dd", { id: "job-val-acc" }, pct(p.val_accuracy)),
      h("dt", {}, "ETA"), h("dd", { id: "job-eta" }, job.status === "running" ? duration(p.eta_s) : "—"),
      p.train_windows !== undefined ? [h("dt", {}, "Windows"), h("dd", {}, `${p.train_windows} train · ${p.val_windows} val`)] : null,
      job.error ? [h("dt", {}, "Error"), h("dd", { class: "error-text" }, job.error)] : null,
      job.result?.model_id ? [h("dt", {}, "Model"), h("dd", {}, h("button", { type: "button", class: "small", onclick: () => showModel(job.result.model_id) }, `Open model #${job.result.model_id}`))] : null),
    history.length ? canvas : null);
  if (history.length) drawCurves(canvas, history, p.epochs || job.params?.epochs || 1);
}

async function cancel(job) {
  try {
    await post(`/jobs/${job.id}/cancel`);
    toast("Cancelling…", "ok");
    refreshJobs();
  } catch (err) {
    toastError(err);
  }
}

let jobTimer = null;
async function refreshJobs() {
  clearTimeout(jobTimer);
  let jobs = [];
  try {
    jobs = (await get("/jobs?limit=50")).filter((j) => j.kind === "train");
  } catch (err) {
    clear($("#job-empty")).append(empty("Runs could not be loaded", err.message));
    return;
  }
  jobs.forEach(remember);
  clear($("#job-body")).append(...jobs.map((j) => h("tr", { dataset: { job: j.id }, class: j.id === selectedJob ? "selected" : "" },
    h("td", {}, h("button", { type: "button", class: "small", onclick: () => ((selectedJob = j.id), refreshJobs()) }, `#${j.id}`)),
    h("td", {}, datasetName(j.params?.dataset_id)),
    h("td", {}, h("span", { class: `badge ${j.status}` }, label(j.status))),
    h("td", {}, bar(j.progress?.fraction)),
    h("td", { class: "muted small" }, when(j.created_at)))));
  clear($("#job-empty")).append(...(jobs.length ? [] : [empty("No training runs yet", "Label some segments in a dataset, then start a run.")]));
  if (selectedJob === null && jobs.length) selectedJob = jobs[0].id;
  const job = jobs.find((j) => j.id === selectedJob);
  if (job) renderJobDetail(job);
  const live = jobs.some((j) => ["queued", "running"].includes(j.status));
  if (live) jobTimer = setTimeout(refreshJobs, POLL_MS);
  if (job && !live && job.result?.model_id && !document.querySelector(`tr[data-model='${job.result.model_id}']`)) refreshModels();
}

// ---- models -----------------------------------------------------------------------------------------
function comparisonText(m) {
  const c = m.metrics?.comparison;
  if (!c) return "—";
  if (c.error) return "not comparable";
  const mine = c.new_accuracy ?? c.new?.accuracy ?? m.metrics?.accuracy;
  const theirs = c.old_accuracy ?? c.old?.accuracy;
  return typeof theirs === "number" ? `${pct(mine)} vs ${pct(theirs)}` : "—";
}

const signed = (d) => (typeof d === "number" ? `${d >= 0 ? "+" : "−"}${Math.abs(Math.round(d * 100))} pts` : "—");

/** The new model against the one that was active when it was trained, on the same validation windows. */
function comparisonBlock(m) {
  const c = m.metrics?.comparison;
  if (!c) return h("p", { class: "muted small", id: "model-comparison" }, "No model was active when this one was trained: nothing to compare with.");
  if (c.error) return h("p", { class: "muted small", id: "model-comparison" }, `Not comparable with model #${c.old_model_id}: ${c.error}`);
  const row = (name, key) => h("tr", {}, h("td", {}, name), h("td", {}, pct(c.new?.[key])), h("td", {}, pct(c.old?.[key])),
    h("td", { class: key === "accuracy" ? "delta-accuracy" : "delta-f1" }, signed(c[`${key}_delta`])));
  return h("div", { id: "model-comparison", class: "gap-top" },
    h("p", {}, c.new_is_better ? h("span", { class: "badge ok" }, "better") : h("span", { class: "badge warn" }, "not better"),
      ` than model #${c.old_model_id} (active when this one was trained), on this run's validation windows`),
    h("table", { class: "compact" },
      h("thead", {}, h("tr", {}, h("th"), h("th", {}, "this model"), h("th", {}, `model #${c.old_model_id}`), h("th", {}, "change"))),
      h("tbody", {}, row("Accuracy", "accuracy"), row("Macro F1", "macro_f1"))));
}

/** Per-class precision / recall / F1 (a list of {label, precision, recall, f1, support}). */
function perClassTable(m) {
  const rows = m.metrics?.per_class;
  if (!Array.isArray(rows) || !rows.length) return null;
  return h("table", { class: "compact gap-top", id: "per-class" },
    h("thead", {}, h("tr", {}, ["Label", "Precision", "Recall", "F1", "Windows"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { dataset: { label: r.label } }, h("td", {}, label(r.label)), h("td", {}, pct(r.precision)),
      h("td", {}, pct(r.recall)), h("td", {}, pct(r.f1)), h("td", {}, String(r.support ?? "—"))))));
}

async function refreshModels() {
  let models = [];
  const camera = scope();
  try {
    [models, { model_id: defaultId }, { model_id: activeId }] = await Promise.all([get("/models"), get("/models/active"),
      camera ? get(`/models/active?camera_id=${camera}`) : Promise.resolve({ model_id: null })]);
  } catch (err) {
    clear($("#model-empty")).append(empty("Models could not be loaded", err.message));
    return;
  }
  if (!camera) activeId = defaultId;
  for (const m of models) {
    const done = (m.metrics?.history || []).map((e) => ({ epoch: e.epoch, loss: e.train_loss, val_loss: e.val_loss, val_accuracy: e.val_accuracy }));
    if (m.job_id && done.length > (histories.get(m.job_id)?.length ?? 0)) histories.set(m.job_id, done);
  }
  const byDefault = defaultId ? `model #${defaultId}` : "no trained model (the built-in rules run)";
  $("#active-model").textContent = camera
    ? `${cameraName(camera)} runs ${activeId ? `model #${activeId}` : "no trained model"}${activeId && activeId === defaultId ? " (the default)" : ""}`
    : `Default: ${byDefault}`;
  $("#active-model").dataset.active = activeId ?? "";
  $("#rollback").hidden = !canChange();
  clear($("#model-body")).append(...models.map((m) => h("tr", { dataset: { model: m.id } },
    h("td", {}, h("b", {}, m.name), ` v${m.version} `, m.id === activeId ? h("span", { class: "badge active", id: "model-active-badge" }, "active") : null),
    h("td", {}, label(m.source)),
    h("td", { class: "small" }, m.labels.map(label).join(", ")),
    h("td", {}, pct(m.metrics?.accuracy)),
    h("td", {}, pct(m.metrics?.macro_f1)),
    h("td", {}, comparisonText(m)),
    h("td", { class: "muted small" }, when(m.created_at)),
    h("td", { class: "actions" },
      h("button", { type: "button", class: "small", onclick: () => showModel(m.id) }, "Details"),
      canChange() && m.id !== activeId ? h("button", { type: "button", class: "small primary", dataset: { activate: m.id }, onclick: () => activate(m) }, scope() ? `Activate for ${cameraName(scope())}` : "Activate") : null))));
  clear($("#model-empty")).append(...(models.length ? [] : [empty("No models yet", "A finished training run registers one.")]));
  if (selectedModel) showModel(selectedModel, models);
}

async function showModel(id, models = null) {
  selectedModel = id;
  const m = models?.find((x) => x.id === id) ?? (await get(`/models/${id}`));
  const box = $("#model-detail");
  box.hidden = false;
  const c = m.metrics?.comparison;
  box.dataset.model = m.id;
  clear(box).append(
    h("h2", {}, `${m.name} v${m.version}`, " ", m.id === defaultId ? h("span", { class: "badge active" }, "default") : null),
    h("dl", { class: "kv" },
      h("dt", {}, "Accuracy"), h("dd", {}, pct(m.metrics?.accuracy)),
      h("dt", {}, "Macro F1"), h("dd", {}, pct(m.metrics?.macro_f1)),
      h("dt", {}, "Best epoch"), h("dd", {}, String(m.metrics?.best_epoch ?? "—")),
      h("dt", {}, "Input"), h("dd", {}, m.spec ? `T=${m.spec.T ?? m.spec.t ?? "?"} · ${m.spec.fps ?? "?"} fps` : "—"),
      h("dt", {}, "Compared with"), h("dd", {}, c ? `model #${c.old_model_id}: ${comparisonText(m)}` : "no active model at training time"),
      h("dt", {}, "Dataset"), h("dd", {}, m.dataset_id ? datasetName(m.dataset_id) : "—")),
    comparisonBlock(m),
    perClassTable(m),
    h("div", { class: "row gap-top artifacts" },
      m.artifacts.includes("confusion.png") ? h("figure", {}, h("img", { src: `/models/${m.id}/artifacts/confusion.png`, alt: "Confusion matrix", id: "confusion-img" }), h("figcaption", { class: "muted small" }, "Confusion matrix (validation)")) : null,
      m.artifacts.includes("curves.png") ? h("figure", {}, h("img", { src: `/models/${m.id}/artifacts/curves.png`, alt: "Training curves" }), h("figcaption", { class: "muted small" }, "Training curves")) : null),
    h("div", { class: "row gap-top" }, m.artifacts.map((a) => h("a", { class: "button small", href: `/models/${m.id}/artifacts/${encodeURIComponent(a)}`, download: "" }, a))));
}

async function activate(m) {
  try {
    await post(`/models/${m.id}/activate`, scopeBody());
    const where = scope() ? `for ${cameraName(scope())}` : "by default";
    toast(`${m.name} v${m.version} is now active ${where}; workers pick it up within seconds`, "ok");
    refreshModels();
  } catch (err) {
    toastError(err);
  }
}

$("#rollback").addEventListener("click", async () => {
  try {
    const r = await post("/models/rollback", scopeBody());
    const where = scope() ? cameraName(scope()) : "the default";
    toast(r.model_id ? `Rolled back ${where}: model #${r.model_id} is active` : `Rolled back ${where}: no trained model is active`, "ok");
    refreshModels();
  } catch (err) {
    toastError(err);
  }
});

$("#train-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { dataset_id: Number($("#train-dataset").value), epochs: Number($("#train-epochs").value), size: $("#train-size").value };
  if ($("#train-name").value.trim()) body.name = $("#train-name").value.trim();
  if ($("#train-compare").value) body.compare_camera_id = Number($("#train-compare").value);
  try {
    const job = await post("/jobs", body);
    selectedJob = job.id;
    say($("#train-message"), `Run #${job.id} queued; a trainer process picks it up.`, "ok");
    refreshJobs();
  } catch (err) {
    say($("#train-message"), err.message);
  }
});

$("#model-scope").addEventListener("change", () => refreshModels());

[datasets, cameras] = await Promise.all([get("/datasets").catch(() => []), get("/cameras").catch(() => [])]);
$("#model-scope").append(...cameras.map((c) => h("option", { value: c.id }, c.name)));
$("#model-scope").closest(".field-inline").hidden = !cameras.length;
$("#train-compare").append(...cameras.map((c) => h("option", { value: c.id }, c.name)));
$("#train-compare-field").hidden = !cameras.length;
const select = $("#train-dataset");
select.append(...datasets.map((d) => h("option", { value: d.id }, `${d.name} (${d.clips} clips)`)));
if (wantedDataset) select.value = wantedDataset;
$("#train-start").disabled = !datasets.length;
if (!datasets.length) say($("#train-message"), "Create a dataset and label some segments first.", "ok");
await Promise.all([refreshJobs(), refreshModels()]);
