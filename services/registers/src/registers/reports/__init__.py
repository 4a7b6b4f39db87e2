"""Reports for leaders, governors, trusts and LAs (api.md Part 2): the JSON report, its printable page
with charts, and its series as CSV."""
