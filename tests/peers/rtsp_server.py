"""An RTSP camera for tests: GStreamer's RTSP server serving an H.264 MP4 at rtsp://127.0.0.1:PORT/cam.

Run by the Debian interpreter that has `gi` (`/usr/bin/python3 rtsp_server.py CLIP PORT`); prints
`ready` once listening. Media are not shared, so every client starts the clip from its beginning
(a reconnecting ingest gets frames again). Killing the process is a realistic "camera gone".
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    clip, port = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
    )
    factory.set_shared(False)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
