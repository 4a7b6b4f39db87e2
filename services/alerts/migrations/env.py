from alerts.models import Base
from alerts.settings import Settings
from attendance_common.migrations import run_migrations, service_metadata

run_migrations(service_metadata(Base.metadata), default_url=lambda: Settings().resolved_database_url)
