"""Matching: the cross-organisation supporter pool and the matching engine."""
