"""Notifications: tells residents and supporters what happened (e-mail now; webhooks and SMS later)."""
