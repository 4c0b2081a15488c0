"""Notifications: events worth telling a person about, and their delivery."""
