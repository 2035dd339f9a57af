"""Notifications: alert rendering (`message`), channels (`channels/`), schedules, secrets at rest."""
