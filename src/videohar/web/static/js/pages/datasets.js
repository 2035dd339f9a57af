// Datasets: list / create (with a label set), then one dataset's clips: status, upload (with upload and
// extraction progress), record from a camera, export; each ready clip opens the labelling view.
import { del, get, post, upload } from "../lib/api.js";
import { $, clear, confirmButton, empty, h, pageData, say } from "../lib/dom.js";
import { label, when } from "../lib/format.js";
import { toast, toastError } from "../lib/toast.js";

const apis = pageData().apis || {};
const view = $("#datasets-view");
const wanted = Number(new URLSearchParams(location.search).get("dataset")) || null;
const POLL_MS = 1500;

function labelChips(labels) {
  return labels.map((l) => h("span", { class: "chip label-chip", dataset: { label: l.name } },
    h("span", { class: "swatch", style: { background: l.color } }), " ", label(l.name), l.hotkey ? h("kbd", {}, l.hotkey) : null));
}

function progressBar(fraction, text) {
  return h("div", { class: "progress", role: "progressbar", "aria-valuenow": Math.round(100 * (fraction || 0)) },
    h("span", { style: { width: `${Math.round(100 * Math.min(1, fraction || 0))}%` } }), h("em", {}, text ?? `${Math.round(100 * (fraction || 0))}%`));
}

/** Own labels get a hotkey each for the labelling view: the first free letter of the name, else a digit
 * ("o" stays free for the automatic "other" class). */
function withHotkeys(names) {
  const used = new Set(["o"]);
  return names.map((name) => {
    const lower = name.toLowerCase();
    const key = lower === "other" ? "o" : [...lower].find((c) => /[a-z]/.test(c) && !used.has(c)) ?? [..."123456789"].find((d) => !used.has(d));
    if (key) used.add(key);
    return key ? { name, hotkey: key } : { name };
  });
}

// ---- all datasets --------------------------------------------------------------------------------
async function listView() {
  const [datasets, sets] = await Promise.all([get("/datasets"), get("/label_sets")]);
  const tbody = h("tbody", {}, datasets.map((d) => h("tr", { dataset: { datasetId: d.id } },
    h("td", {}, h("a", { href: `/ui/datasets?dataset=${d.id}` }, d.name), d.description ? h("div", { class: "muted small" }, d.description) : null),
    h("td", {}, `${d.labels.length} labels`),
    h("td", {}, String(d.clips)),
    h("td", {}, when(d.created_at)),
    h("td", { class: "actions" }, h("a", { class: "button small", href: `/ui/datasets?dataset=${d.id}` }, "Open"),
      confirmButton("Delete", async () => {
        try {
          await del(`/datasets/${d.id}`);
          toast("Dataset deleted", "ok");
          render();
        } catch (err) {
          toastError(err);
        }
      })),
  )));
  const message = h("div", { class: "message", role: "alert", hidden: true });
  const setSelect = h("select", { id: "ds-label-set", name: "label_set" },
    Object.keys(sets).map((name) => h("option", { value: name }, `${name} (${sets[name].length} labels)`)),
    h("option", { value: "" }, "My own labels…"));
  const custom = h("div", { class: "field", hidden: true },
    h("label", { for: "ds-labels" }, "Labels (comma-separated, in model output order)"),
    h("input", { id: "ds-labels", type: "text", placeholder: "walk, sit, fall" }));
  const preview = h("div", { class: "label-preview" });
  const showSet = () => {
    custom.hidden = setSelect.value !== "";
    clear(preview).append(...(setSelect.value ? labelChips(sets[setSelect.value]) : []));
  };
  setSelect.addEventListener("change", showSet);
  const form = h("form", { id: "dataset-form" },
    h("div", { class: "field" }, h("label", { for: "ds-name" }, "Name"), h("input", { id: "ds-name", type: "text", required: true, maxlength: 100 })),
    h("div", { class: "field" }, h("label", { for: "ds-description" }, "Description"), h("input", { id: "ds-description", type: "text", maxlength: 2000 })),
    h("div", { class: "field" }, h("label", { for: "ds-label-set" }, "Label set"), setSelect),
    custom, preview,
    h("button", { class: "primary", type: "submit", id: "dataset-create" }, "Create dataset"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: $("#ds-name").value.trim(), description: $("#ds-description").value.trim() };
    if (setSelect.value) body.label_set = setSelect.value;
    else body.labels = withHotkeys($("#ds-labels").value.split(",").map((s) => s.trim()).filter(Boolean));
    try {
      const created = await post("/datasets", body);
      location.assign(`/ui/datasets?dataset=${created.id}`);
    } catch (err) {
      say(message, err.message);
    }
  });
  showSet();
  clear(view).append(h("div", { class: "split" },
    h("section", { class: "panel table-wrap" },
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Dataset"), h("th", {}, "Labels"), h("th", {}, "Clips"), h("th", {}, "Created"), h("th"))), tbody),
      datasets.length ? null : empty("No datasets yet", "Create one, then add event clips, recordings or uploaded videos to label.")),
    h("section", { class: "panel" }, h("h2", {}, "New dataset"), message, form)));
}

// ---- one dataset -----------------------------------------------------------------------------------
const jobs = new Map(); // clip id -> job id of its extraction / recording

function clipRow(dataset, clip, job) {
  const busy = clip.status === "processing";
  const status = busy && job ? progressBar(job.progress?.fraction, `${job.status} ${Math.round(100 * (job.progress?.fraction || 0))}%`) : h("span", { class: `badge ${clip.status === "ready" ? "ok" : clip.status === "failed" ? "error" : "warn"}`, dataset: { status: clip.status } }, label(clip.status));
  return h("tr", { dataset: { clip: clip.id } },
    h("td", {}, clip.status === "ready" ? h("a", { href: `/ui/label?dataset=${dataset.id}&clip=${clip.id}` }, clip.name) : clip.name,
      h("div", { class: "muted small" }, label(clip.source), clip.group ? ` · ${clip.group}` : "")),
    h("td", { class: "clip-status" }, status),
    h("td", {}, h("span", { class: `badge ${clip.label_status === "reviewed" ? "reviewed" : clip.label_status === "labelled" ? "ok" : ""}` }, label(clip.label_status))),
    h("td", {}, clip.frames ? `${clip.frames} @ ${clip.fps.toFixed(1)} fps` : "—"),
    h("td", {}, String(clip.track_ids.length)),
    h("td", {}, String(clip.segments)),
    h("td", { class: "actions" },
      clip.status === "ready" ? h("a", { class: "button small primary", href: `/ui/label?dataset=${dataset.id}&clip=${clip.id}` }, "Label") : null,
      confirmButton("Delete", async () => {
        try {
          await del(`/datasets/${dataset.id}/clips/${clip.id}`);
          toast("Clip deleted", "ok");
          refreshClips(dataset);
        } catch (err) {
          toastError(err);
        }
      })),
  );
}

let pollTimer = null;
async function refreshClips(dataset) {
  clearTimeout(pollTimer);
  const clips = await get(`/datasets/${dataset.id}/clips`);
  for (const c of clips) if (c.job_id) jobs.set(c.id, c.job_id);
  const jobState = new Map();
  await Promise.all(clips.filter((c) => c.status === "processing" && jobs.has(c.id)).map(async (c) => {
    try {
      jobState.set(c.id, await get(`/jobs/${jobs.get(c.id)}`));
    } catch {
      /* the job may belong to someone else */
    }
  }));
  clear($("#clip-body")).append(...clips.map((c) => clipRow(dataset, c, jobState.get(c.id))));
  clear($("#clip-empty")).append(...(clips.length ? [] : [empty("No clips yet", "Upload a video, record a camera, or use “Add to dataset” on an event.")]));
  if (clips.some((c) => c.status === "processing")) pollTimer = setTimeout(() => refreshClips(dataset), POLL_MS);
}

function uploadPanel(dataset) {
  const message = h("div", { class: "message", role: "alert", hidden: true });
  const bar = h("div", { id: "upload-progress" });
  const form = h("form", { id: "upload-form" },
    h("div", { class: "field" }, h("label", { for: "upload-file" }, "Video file"), h("input", { id: "upload-file", type: "file", accept: "video/*", required: true })),
    h("div", { class: "field" }, h("label", { for: "upload-group" }, "Group (clips of one group stay in one split)"), h("input", { id: "upload-group", type: "text", maxlength: 100 })),
    h("button", { class: "primary", type: "submit", id: "upload-submit" }, "Upload"), bar);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("#upload-file").files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    data.append("group", $("#upload-group").value.trim());
    say(message, "");
    $("#upload-submit").disabled = true;
    try {
      const clip = await upload(`/datasets/${dataset.id}/uploads`, data, (f) => clear(bar).append(progressBar(f, `uploading ${Math.round(100 * f)}%`)));
      if (clip.job_id) jobs.set(clip.id, clip.job_id);
      clear(bar);
      say(message, "Uploaded: skeletons are being extracted.", "ok");
      form.reset();
      refreshClips(dataset);
    } catch (err) {
      clear(bar);
      say(message, err.message);
    } finally {
      $("#upload-submit").disabled = false;
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "Upload a video"), message, form);
}

/** mmaction2 / pyskl skeleton annotations: each sample becomes a skeleton-only clip labelled over all its frames. */
function importPanel(dataset) {
  const message = h("div", { class: "message", role: "alert", hidden: true, id: "import-message" });
  const bar = h("div", { id: "import-progress" });
  const form = h("form", { id: "import-form" },
    h("div", { class: "field" }, h("label", { for: "import-file" }, "Annotation pickle (label = index in this dataset's labels)"),
      h("input", { id: "import-file", type: "file", accept: ".pkl,.pickle", required: true })),
    h("div", { class: "field" }, h("label", { for: "import-fps" }, "Frame rate of the sequences"),
      h("input", { id: "import-fps", type: "number", min: "1", max: "240", step: "any", value: "30", required: true })),
    h("button", { type: "submit", id: "import-submit" }, "Import"), bar);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("#import-file").files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    data.append("fps", $("#import-fps").value);
    say(message, "");
    $("#import-submit").disabled = true;
    try {
      const result = await upload(`/datasets/${dataset.id}/import`, data, (f) => clear(bar).append(progressBar(f, `uploading ${Math.round(100 * f)}%`)));
      const skipped = result.skipped_labels.length ? `; skipped label indexes ${result.skipped_labels.join(", ")} (not in this dataset)` : "";
      say(message, `Imported ${result.clips} clip${result.clips === 1 ? "" : "s"} with ${result.segments} segment${result.segments === 1 ? "" : "s"}${skipped}.`, "ok");
      $("#import-file").value = "";
      refreshClips(dataset);
    } catch (err) {
      say(message, err.message);
    } finally {
      clear(bar);
      $("#import-submit").disabled = false;
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "Import mmaction2 annotations"), message, form);
}

async function recordPanel(dataset) {
  const cameras = await get("/cameras").catch(() => []);
  if (!cameras.length) return null;
  const message = h("div", { class: "message", role: "alert", hidden: true, id: "record-message" });
  const form = h("form", { id: "record-form" },
    h("div", { class: "field-row" },
      h("div", { class: "field" }, h("label", { for: "record-camera" }, "Camera"), h("select", { id: "record-camera" }, cameras.map((c) => h("option", { value: c.id }, c.name)))),
      h("div", { class: "field" }, h("label", { for: "record-seconds" }, "Seconds"), h("input", { id: "record-seconds", type: "number", min: "1", max: "3600", value: "10" }))),
    h("button", { type: "submit", id: "record-submit" }, "Record"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    $("#record-submit").disabled = true;
    try {
      const seconds = Number($("#record-seconds").value);
      const clip = await post(`/datasets/${dataset.id}/clips`, { camera_id: Number($("#record-camera").value), seconds });
      if (clip.job_id) jobs.set(clip.id, clip.job_id);
      say(message, `Recording ${seconds} s: a trainer process records the camera, then the clip can be labelled.`, "ok");
      refreshClips(dataset);
    } catch (err) {
      say(message, err.message);
    } finally {
      $("#record-submit").disabled = false;
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "Record from a camera"), message, form);
}

async function datasetView(id) {
  const dataset = await get(`/datasets/${id}`);
  $("#datasets-title").textContent = dataset.name;
  document.title = `${dataset.name} · VideoAnalysisHAR`;
  $("#back-to-datasets").hidden = false;
  clear(view).append(
    h("div", { class: "panel" }, dataset.description ? h("p", { class: "muted" }, dataset.description) : null,
      h("div", { class: "row" }, h("span", { class: "muted small" }, "Labels"), h("div", {}, labelChips(dataset.labels)), h("span", { class: "spacer" }),
        h("a", { class: "button small", href: `/datasets/${dataset.id}/export`, download: "" }, "Export (mmaction2 pickle)"),
        apis["/jobs"] ? h("a", { class: "button small", href: `/ui/training?dataset=${dataset.id}` }, "Train a model") : null)),
    h("div", { class: "split", style: { marginTop: "1rem" } },
      h("section", { class: "panel table-wrap" },
        h("table", {}, h("thead", {}, h("tr", {}, ["Clip", "Status", "Labels", "Frames", "People", "Segments", ""].map((t) => h("th", {}, t)))), h("tbody", { id: "clip-body" })),
        h("div", { id: "clip-empty" })),
      h("div", {}, uploadPanel(dataset), await recordPanel(dataset), importPanel(dataset))));
  await refreshClips(dataset);
}

async function render() {
  try {
    if (wanted) await datasetView(wanted);
    else await listView();
  } catch (err) {
    clear(view).append(empty("Could not load", err.message));
  }
}

await render();
