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


def wait_for_live_frames(page, img: str, *, first_timeout_ms: int = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the MJPEG <img> at selector `img` shows a frame, then a different one."""
    page.evaluate(f"window.frameDigest = {FRAME_DIGEST}")
    first = page.wait_for_function(
        "(sel) => window.frameDigest(document.querySelector(sel))", arg=img, timeout=first_timeout_ms
    ).json_value()
    page.wait_for_function(
        "([sel, first]) => ![null, first].includes(window.frameDigest(document.querySelector(sel)))",
        arg=[img, first],
        timeout=20_000,
    )
