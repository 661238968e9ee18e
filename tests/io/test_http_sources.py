"""``http(s)://`` videos as sources, against a local HTTP server: range requests resume a
dropped connection, redirects are followed, an HTTP error fails the video with its status,
and a presigned URL's query string reaches the server but is written nowhere."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_runs import tracklake

from tracklake.io import http_source
from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.http_source import url_ref
from tracklake.io.video_source import local_video, source_stat


class VideoServer(BaseHTTPRequestHandler):
    """Serves ``root``'s files at ``/videos/<name>`` with range requests; ``/redirect/<name>``
    redirects there; ``/flaky/<name>`` drops its first connection half way, ``/dropping/<name>``
    every one; ``/status/<code>.mp4`` answers that status. Every request line is recorded."""

    root: Path
    requests: list[tuple[str, str]]  # (path with query, Range header)
    dropped: set[str]

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        self.requests.append((self.path, self.headers.get("Range", "")))
        route, _, name = self.path.partition("?")[0].lstrip("/").partition("/")
        if route == "status":
            self.send_error(int(name.split(".")[0]))
            return
        if route == "redirect":
            self.send_response(302)
            self.send_header("Location", f"/videos/{name}")
            self.end_headers()
            return
        data = (self.root / name).read_bytes()
        start = int(self.headers.get("Range", "bytes=0-")[6:].rstrip("-") or 0)
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
        self.end_headers()
        if not body:
            return
        drop = route == "dropping" or (route == "flaky" and name not in self.dropped)
        if drop:
            self.dropped.add(name)
            self.wfile.write(data[start : start + (len(data) - start) // 2])
            self.close_connection = True
            return
        self.wfile.write(data[start:])


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # the dropped connections
        pass


@pytest.fixture(scope="module")
def server(shared_videos):
    handler = type(
        "Handler", (VideoServer,), {"root": shared_videos, "requests": [], "dropped": set()}
    )
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", handler
    httpd.shutdown()


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr(http_source, "RETRIES", 2)
    monkeypatch.setattr(http_source, "_RETRY_PAUSE_S", 0.0)


def test_a_dropped_connection_is_resumed_with_a_range_request(server, shared_videos, quick_retries):
    base, handler = server
    ref = url_ref(f"{base}/flaky/TUD-Campus.mp4")
    assert ref.video_id == "TUD-Campus"
    with local_video(ref) as path:
        assert Path(path).read_bytes() == (shared_videos / "TUD-Campus.mp4").read_bytes()
    ranges = [r for p, r in handler.requests if p == "/flaky/TUD-Campus.mp4"]
    assert ranges[0] == "" and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"


def test_a_redirect_is_followed_and_the_file_stat_read(server, shared_videos):
    base, _ = server
    ref = url_ref(f"{base}/redirect/TUD-Stadtmitte.mp4")
    with local_video(ref) as path:
        assert Path(path).read_bytes() == (shared_videos / "TUD-Stadtmitte.mp4").read_bytes()
    size, mtime = source_stat(ref)
    assert size == (shared_videos / "TUD-Stadtmitte.mp4").stat().st_size and mtime > 0


@pytest.mark.parametrize(
    ("code", "kind"), [(404, VideoErrorKind.MISSING), (403, VideoErrorKind.UNREADABLE)]
)
def test_an_http_error_fails_with_its_status(server, code, kind):
    base, _ = server
    with pytest.raises(VideoError) as caught, local_video(url_ref(f"{base}/status/{code}.mp4")):
        pass
    assert caught.value.kind == kind and f"HTTP {code}" in str(caught.value)


def test_a_connection_that_keeps_dropping_fails_after_the_retries(server, quick_retries):
    base, _ = server
    dropping = url_ref(f"{base}/dropping/TUD-Campus.mp4")
    with pytest.raises(VideoError, match="tried 3 times") as caught, local_video(dropping):
        pass
    assert str(caught.value).startswith(f"{base}/dropping/TUD-Campus.mp4: unreadable")


@pytest.mark.slow
def test_urls_are_tracked_and_a_presigned_query_is_written_nowhere(
    server, tmp_path, yolov8n_weights
):
    base, handler = server
    secret = "X-Amz-Signature=s3cr3t"
    manifest = tmp_path / "videos.csv"
    manifest.write_text(
        f"path,camera\n{base}/videos/TUD-Campus.mp4?{secret},north\n{base}/status/404.mp4,south\n"
    )
    out = tmp_path / "out"
    result = tracklake("track", str(manifest), "-o", str(out), "--vid-stride", "5",
                       "--model", str(yolov8n_weights), "--no-progress")  # fmt: skip
    assert result.returncode == 1, result.stderr  # one video failed
    rows = {row["video_id"]: row for row in pq.read_table(out / "videos.parquet").to_pylist()}
    assert rows["videos/TUD-Campus"]["status"] == "ok"
    assert rows["videos/TUD-Campus"]["path"] == f"{base}/videos/TUD-Campus.mp4"
    assert rows["status/404"]["status"] == "failed" and "HTTP 404" in rows["status/404"]["error"]
    assert any(secret in path for path, _ in handler.requests)  # it was used to fetch
    for written in out.rglob("*"):
        if written.is_file():
            assert b"s3cr3t" not in written.read_bytes(), written
    assert "s3cr3t" not in result.stdout + result.stderr
