#!/usr/bin/env bash
# make demo: track the shared videos on an embedded Ray, then ask DuckDB about the result.
set -euo pipefail
SHARED="${TRACKLAKE_SHARED:-../shared}"
OUT="${DEMO_OUT:-demo-out}"
BIN=.venv/bin

"$BIN/tracklake" track "$SHARED/videos" -o "$OUT" --model "$SHARED/models/yolov8n.pt" \
  --conf 0.3 --iou 0.5
"$BIN/tracklake" info "$OUT"
"$BIN/python" - "$OUT" <<'PY'
import sys

import duckdb

out = sys.argv[1]
print("\nPer video (DuckDB over videos.parquet and tracks/*.parquet):")
print(duckdb.sql(f"""
    SELECT v.video_id, v.status, v.frames, round(v.fps, 1) AS fps,
           count(DISTINCT t.track_id) FILTER (WHERE t.class_name = 'person') AS people,
           count(DISTINCT t.track_id) AS tracks, round(v.seconds, 1) AS seconds
    FROM '{out}/videos.parquet' v LEFT JOIN '{out}/tracks/*.parquet' t USING (video_id)
    GROUP BY ALL ORDER BY v.video_id
"""))
print("Longest-lived tracks:")
print(duckdb.sql(f"""
    SELECT video_id, track_id, any_value(class_name) AS class,
           round(max(time_s) - min(time_s), 2) AS seconds_visible, count(*) AS frames
    FROM '{out}/tracks/*.parquet' GROUP BY video_id, track_id
    ORDER BY seconds_visible DESC LIMIT 8
"""))
PY
