// Draw an event's skeleton file over its playing clip.
//
// Accepted shapes (the recogniser writes the first): {width, height, fps?, t0?, frames: [{t, people: [{track_id,
// box?, keypoints: [[x, y, score] x17]}]}]}; "tracks"/"persons" for "people", "time"/"ts" for "t". Times are seconds
// from the clip start (or absolute, when "t0" gives the clip's start in the same unit).

// COCO-17 limbs (same as videohar.vision.types.COCO17_EDGES).
const EDGES = [
  [0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8], [8, 10], [5, 11], [6, 12], [11, 12],
  [11, 13], [13, 15], [12, 14], [14, 16],
];
const COLORS = ["#3b9eff", "#3fb950", "#ffcc00", "#f85149", "#d2a8ff", "#ff9e3b"];
const MIN_SCORE = 0.2;

// Index of the last of the ascending `times` that is <= t (0 when t comes before them all).
export function lastAtOrBefore(times, t) {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function normalise(raw) {
  const frames = (raw?.frames || []).map((f) => ({
    t: Number(f.t ?? f.time ?? f.ts ?? 0) - Number(raw.t0 ?? 0),
    people: (f.people || f.tracks || f.persons || []).map((p) => ({ id: p.track_id ?? p.id ?? 0, keypoints: p.keypoints || [] })),
  }));
  frames.sort((a, b) => a.t - b.t);
  return { width: raw?.width, height: raw?.height, frames, times: frames.map((f) => f.t) };
}

export class SkeletonOverlay {
  constructor(video, canvas) {
    this.video = video;
    this.canvas = canvas;
    this.data = null;
    this.running = true;
    this.tick = this.tick.bind(this);
    // A seek while paused (frame stepping) need not present a frame to requestVideoFrameCallback
    // (headless Chromium does not): draw the new position directly.
    video.addEventListener("seeked", () => this.draw());
  }

  load(raw) {
    this.data = normalise(raw);
    this.tick();
  }

  stop() {
    this.running = false;
  }

  frameAt(t) {
    return this.data.frames[lastAtOrBefore(this.data.times, t)];
  }

  tick() {
    if (!this.running || !this.data) return;
    this.draw();
    if (this.video.requestVideoFrameCallback) this.video.requestVideoFrameCallback(this.tick);
    else requestAnimationFrame(this.tick);
  }

  draw() {
    if (!this.running || !this.data) return;
    const { video, canvas } = this;
    const w = this.data.width || video.videoWidth;
    const h = this.data.height || video.videoHeight;
    if (w && h && (canvas.width !== w || canvas.height !== h)) Object.assign(canvas, { width: w, height: h });
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const frame = this.data.frames.length ? this.frameAt(video.currentTime) : null;
    for (const person of frame?.people || []) {
      const color = COLORS[Math.abs(Number(person.id)) % COLORS.length];
      const k = person.keypoints;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = Math.max(2, canvas.width / 400);
      for (const [a, b] of EDGES) {
        if (!k[a] || !k[b] || (k[a][2] ?? 1) < MIN_SCORE || (k[b][2] ?? 1) < MIN_SCORE) continue;
        ctx.beginPath();
        ctx.moveTo(k[a][0], k[a][1]);
        ctx.lineTo(k[b][0], k[b][1]);
        ctx.stroke();
      }
      for (const p of k) if (p && (p[2] ?? 1) >= MIN_SCORE) ctx.fillRect(p[0] - 2, p[1] - 2, 4, 4);
    }
  }
}
