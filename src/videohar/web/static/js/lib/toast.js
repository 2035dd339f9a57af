// Small transient notices in the corner (errors, saves, live events).
import { h } from "./dom.js";

function region() {
  let el = document.getElementById("toasts");
  if (!el) {
    el = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(el);
  }
  return el;
}

export function toast(message, kind = "info", { title = null, timeout = 5000 } = {}) {
  const el = h("div", { class: `toast ${kind}` }, title ? h("div", { class: "toast-title" }, title) : null, h("div", {}, message));
  region().append(el);
  setTimeout(() => el.remove(), timeout);
  return el;
}

export function toastError(err) {
  return toast(err?.message || String(err), "error");
}
