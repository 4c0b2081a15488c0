"""Notification adapters: e-mail over SMTP, real-time pushes through Redis, unsubscribe links."""
