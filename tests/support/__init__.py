"""Helpers for tests: running a service in-process and reading topics."""
