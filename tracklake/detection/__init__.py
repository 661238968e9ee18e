"""Object detection: the only package that imports torch."""
