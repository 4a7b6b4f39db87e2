from spine_tables import Base  # the test puts this folder's parent on sys.path

from attendance_common.migrations import run_migrations, service_metadata

run_migrations(service_metadata(Base.metadata), default_url=lambda: "sqlite+aiosqlite:///spine.db")
