"""Samenloket services: intake, matching, notifications, reporting, and their shared kit."""
