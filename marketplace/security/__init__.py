"""Abuse limits, session ending and the security audit log (issue 7)."""
