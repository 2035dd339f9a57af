// Display formatting shared by the pages.

export function when(value) {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString();
}

export function ago(value) {
  if (!value) return "—";
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return String(value);
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return when(value);
}

export function pct(score) {
  return typeof score === "number" ? `${Math.round(score * 100)}%` : "—";
}

export const label = (text) => String(text ?? "").replaceAll("_", " ");

/** 1536 -> "1.5 KiB". */
export function bytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** A worker timestamp (epoch seconds) or an ISO string, as a Date-friendly value. */
export function epoch(value) {
  return typeof value === "number" ? new Date(value * 1000).toISOString() : value;
}

/** Fixed decimals for numbers, "—" for anything else. */
export function num(value, digits = 1) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
}
