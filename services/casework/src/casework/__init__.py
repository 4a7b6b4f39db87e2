"""Casework: family cases from alerts and people, through the support-first stages (domain.md 6-7)."""
