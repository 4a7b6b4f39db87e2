"""Families speak: absence reports and leave requests (api.md Part 2), owned by registers."""
