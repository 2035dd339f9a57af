// Events timeline: filters, paging, snapshot, clip with skeleton overlay, review state, live arrivals.
import { get, items, patch, post } from "../lib/api.js";
import { onLiveEvent } from "../lib/shell.js";
import { $, clear, empty, h, pageData } from "../lib/dom.js";
import { ago, label, pct, when } from "../lib/format.js";
import { toast, toastError } from "../lib/toast.js";
import { SkeletonOverlay } from "../lib/skeleton.js";

const LIMIT = 25;
const form = $("#event-filters");
let offset = 0;
let total = 0;
let selectedId = null;
let overlay = null;

function query() {
  const params = new URLSearchParams({ limit: LIMIT, offset });
  for (const [key, value] of new FormData(form)) {
    if (!value) continue;
    params.set(key, key === "since" ? new Date(value).toISOString() : value);
  }
  return params;
}

function matches(event) {
  const f = Object.fromEntries(new FormData(form));
  return (!f.camera_id || Number(f.camera_id) === event.camera_id) && (!f.label || f.label === event.label) &&
    (!f.state || f.state === event.state) && (!f.area || f.area === event.area_name);
}

function stateBadge(state) {
  return h("span", { class: `badge ${state}`, dataset: { state } }, label(state));
}

function row(event) {
  const thumb = event.has_snapshot
    ? h("img", { src: `/events/${event.id}/snapshot`, alt: "", loading: "lazy" })
    : h("div", { class: "thumb" });
  return h("button", { type: "button", class: `event-row${event.id === selectedId ? " selected" : ""}`, dataset: { event: event.id }, onclick: () => show(event.id) },
    thumb,
    h("div", {},
      h("div", {}, h("b", {}, label(event.label)), " ", h("span", { class: "muted" }, pct(event.score))),
      h("div", { class: "muted small" }, event.camera_name, event.area_name ? ` · ${event.area_name}` : "", ` · ${ago(event.started_at)}`),
    ),
    stateBadge(event.state),
  );
}

async function load() {
  const list = clear($("#event-list"));
  try {
    const page = items(await get(`/events?${query()}`));
    total = page.total;
    if (!page.items.length) list.append(empty("No events", offset ? "No older events." : "Nothing matches these filters yet."));
    list.append(...page.items.map(row));
    $("#event-count").textContent = total ? `${offset + 1}–${offset + page.items.length} of ${total}` : "";
  } catch (err) {
    list.append(empty("Events could not be loaded", err.message));
  }
  $("#page-prev").disabled = offset === 0;
  $("#page-next").disabled = offset + LIMIT >= total;
}

async function review(event, state) {
  try {
    const updated = await patch(`/events/${event.id}`, { state });
    toast(`Marked ${label(state)}`, "ok");
    render(updated);
    document.querySelector(`.event-row[data-event="${updated.id}"]`)?.replaceWith(row(updated));
  } catch (err) {
    toastError(err);
  }
}

function player(event) {
  if (event.has_clip) {
    const video = h("video", { controls: true, preload: "metadata", playsinline: true, src: `/events/${event.id}/clip` });
    const canvas = h("canvas");
    if (event.has_skeleton) {
      overlay = new SkeletonOverlay(video, canvas);
      get(`/events/${event.id}/skeleton`).then((s) => overlay.load(s)).catch(() => overlay.stop());
    }
    return h("div", { class: "player" }, video, canvas);
  }
  if (event.has_snapshot) return h("div", { class: "player" }, h("img", { src: `/events/${event.id}/snapshot`, alt: `Snapshot of ${event.label}` }));
  return empty("No media", "This event has no snapshot or clip (yet, or any more).");
}

let datasets = null;

/** "Add to dataset": the event's clip and skeletons become a clip to label (needs the datasets API). */
function toDatasetControl(event) {
  if (!pageData().apis?.["/datasets"] || !event.has_clip) return null;
  const select = h("select", { id: "to-dataset", "aria-label": "Dataset" });
  const button = h("button", { type: "button", class: "small", id: "add-to-dataset" }, "Add to dataset");
  const box = h("div", { class: "row gap-top" }, select, button);
  (datasets ??= get("/datasets").catch(() => [])).then((list) => {
    if (!list.length) return box.replaceChildren(h("a", { class: "small", href: "/ui/datasets" }, "Create a dataset to collect this clip"));
    select.append(...list.map((d) => h("option", { value: d.id }, d.name)));
  });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const clip = await post(`/events/${event.id}/to_dataset`, { dataset_id: Number(select.value) });
      const name = select.selectedOptions[0]?.textContent ?? "the dataset";
      toast(`Added to ${name}`, "ok");
      box.querySelector(".added")?.remove();
      box.append(h("span", { class: "added row" },
        h("a", { class: "button small", id: "open-dataset", href: `/ui/datasets?dataset=${clip.dataset_id}` }, `Open ${name}`),
        h("a", { class: "button small primary", href: `/ui/label?dataset=${clip.dataset_id}&clip=${clip.id}` }, "Label it")));
    } catch (err) {
      toastError(err);
    } finally {
      button.disabled = false;
    }
  });
  return box;
}

async function show(id) {
  selectedId = id;
  overlay?.stop();
  overlay = null;
  document.querySelectorAll(".event-row").forEach((r) => r.classList.toggle("selected", Number(r.dataset.event) === id));
  try {
    render(await get(`/events/${id}`));
  } catch (err) {
    clear($("#event-detail")).append(empty("Event not found", err.message));
  }
}

function render(event) {
  overlay?.stop();
  overlay = null;
  clear($("#event-detail")).append(
    h("div", { class: "row", style: { marginBottom: ".7rem" } },
      h("h2", { style: { margin: 0 } }, label(event.label)), stateBadge(event.state), h("span", { class: "spacer" }),
      h("button", { type: "button", class: "small", id: "mark-reviewed", disabled: event.state === "reviewed", onclick: () => review(event, "reviewed") }, "Mark reviewed"),
      h("button", { type: "button", class: "small danger", id: "mark-false", disabled: event.state === "false_positive", onclick: () => review(event, "false_positive") }, "False positive"),
    ),
    player(event),
    toDatasetControl(event),
    h("dl", { class: "kv", style: { marginTop: ".8rem" } },
      h("dt", {}, "Camera"), h("dd", {}, event.camera_name),
      h("dt", {}, "Area"), h("dd", {}, event.area_name || "—"),
      h("dt", {}, "Person"), h("dd", {}, event.track_id ?? "—"),
      h("dt", {}, "Score"), h("dd", {}, pct(event.score)),
      h("dt", {}, "Started"), h("dd", {}, when(event.started_at)),
      h("dt", {}, "Ended"), h("dd", {}, when(event.ended_at)),
      h("dt", {}, "Source"), h("dd", {}, event.source),
      event.note ? [h("dt", {}, "Note"), h("dd", {}, event.note)] : null,
    ),
  );
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  offset = 0;
  load();
});
form.addEventListener("reset", () => setTimeout(() => ((offset = 0), load())));
$("#page-prev").addEventListener("click", () => ((offset = Math.max(0, offset - LIMIT)), load()));
$("#page-next").addEventListener("click", () => ((offset += LIMIT), load()));

onLiveEvent((event) => {
  if (offset === 0 && matches(event)) load();
});

const cameras = await get("/cameras");
for (const c of cameras) $("#f-camera").append(h("option", { value: c.id }, c.name));
for (const l of new Set(cameras.flatMap((c) => c.settings?.actions || []))) $("#known-labels").append(h("option", { value: l }));
const wanted = new URLSearchParams(location.search);
if (wanted.get("camera_id")) $("#f-camera").value = wanted.get("camera_id");
await load();
if (wanted.get("event")) show(Number(wanted.get("event")));
