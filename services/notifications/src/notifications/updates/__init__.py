"""Keeping parents informed (api.md Part 2): attendance updates for a period, the weekly schedule
that sends them at the school's local time, and parents' preferences for what reaches them."""
