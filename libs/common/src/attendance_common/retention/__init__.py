"""Retention: what each service keeps and for how long (docs/retention.md), and the purge that applies it.

Each service declares its own tables' rules in `<service>.retention.RULES`; the tables every service
has (audit log, outbox, inbox, idempotency keys) are in `COMMON_RULES`. `python -m
attendance_common.retention SERVICE|all` runs them (a Kubernetes CronJob, a compose profile).
"""

from .common import COMMON_RULES
from .purge import count_due, purge
from .rules import Cutoff, Rule, years_before

__all__ = ["COMMON_RULES", "Cutoff", "Rule", "count_due", "purge", "years_before"]
