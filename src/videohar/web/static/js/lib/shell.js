// Runs on every signed-in page: live event toasts (when the SSE endpoint exists).
import { pageData } from "./dom.js";
import { toast } from "./toast.js";
import { label, pct } from "./format.js";

const data = pageData();

/** Subscribers get every live event; pages (events, dashboard) use this instead of a second stream. */
const listeners = new Set();
export function onLiveEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// The server names each SSE message after the change: "opened" (a worker saw it start), "closed" (it ended, or a
// manual event was added), "updated" (reviewed). Subscribers get every change; a toast is shown once per event.
const PHASES = ["opened", "closed", "updated", "message", "event"];
const toasted = new Set();

function startLiveEvents() {
  if (!data.user || !data.apis?.["/events/stream"] || typeof EventSource === "undefined") return;
  const source = new EventSource("/events/stream", { withCredentials: true });
  const handle = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    event.phase ??= message.type;
    for (const fn of listeners) fn(event);
    if (event.phase === "updated" || toasted.has(event.id)) return;
    toasted.add(event.id);
    const where = event.camera_name || (event.camera_id ? `camera ${event.camera_id}` : "");
    toast(`${where}${event.area_name ? ` · ${event.area_name}` : ""} · ${pct(event.score)}`, "event", {
      title: label(event.label || "event"),
      timeout: 8000,
    });
  };
  for (const phase of PHASES) source.addEventListener(phase, handle);
}

startLiveEvents();
