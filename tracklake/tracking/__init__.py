"""Multi-object trackers (ByteTrack, BoT-SORT, OC-SORT): numpy and scipy only."""
