"""Grading a class folder: many sessions, one bad one never stops the rest."""
