"""Scoring tracks against MOTChallenge ground truth."""
