"""Breachdesk: the web layer and persistence (the only package that touches HTTP and SQL)."""
