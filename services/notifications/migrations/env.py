from attendance_common.migrations import run_migrations, service_metadata
from notifications.models import Base
from notifications.settings import Settings
from notifications.updates import models as _updates  # noqa: F401  (its tables join Base's metadata)

run_migrations(service_metadata(Base.metadata), default_url=lambda: Settings().resolved_database_url)
