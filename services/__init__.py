"""Samenloket services: intake, matching, notifications, reporting, their shared kit, and local tooling apart."""
