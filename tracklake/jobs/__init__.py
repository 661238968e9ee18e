"""Running videos end to end: the per-video pipeline and the Ray driver."""
