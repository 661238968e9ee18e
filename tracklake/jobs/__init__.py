"""Running videos end to end: one video (``pipeline``), a run of many (``run``), and the Ray
workers that track them (``ray_workers``)."""
