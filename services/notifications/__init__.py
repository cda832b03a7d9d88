"""Notifications: tells residents, supporters and referring partners what happened.

E-mail over SMTP, SMS through an HTTP gateway, signed webhooks to partners.
"""
