"""Recommenders: pair scoring, explanations and cohort matching."""
