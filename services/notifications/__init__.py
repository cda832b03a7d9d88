"""Notifications: tells residents, supporters and referring partners what happened.

E-mail over SMTP, signed webhooks to partners; an SMS gateway later.
"""
