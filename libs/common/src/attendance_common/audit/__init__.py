"""The audit log every service keeps of reads and changes of pupils' personal data (issue 9).

`api.audit_router` serves it; it is imported from there (not here) so `auth` can import the recording.
"""

from .models import RETENTION, AuditEntry, purge_audit
from .recording import AuditTrail, note_principal, note_pupil, note_pupils

__all__ = [
    "RETENTION",
    "AuditEntry",
    "AuditTrail",
    "note_principal",
    "note_pupil",
    "note_pupils",
    "purge_audit",
]
