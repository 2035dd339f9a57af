"""JavaScript snippets the browser tests evaluate in the page."""

# Draws an MJPEG <img> into a canvas (same origin: not tainted) and hashes its pixels, so a test can
# tell that a live stream's frames change.
FRAME_DIGEST = """(img) => {
  if (!img || !img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 97) h = (h * 31 + d[i]) >>> 0;
  return h;
}"""
