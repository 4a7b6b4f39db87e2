"""The notifications migrations build exactly the schema the models describe, and undo cleanly."""

import pytest

from attendance_common.testing.migrations import schema_differences, tables_after_downgrade
from notifications.main import MIGRATIONS
from notifications.models import Base

pytestmark = pytest.mark.integration


def test_migrations_build_exactly_the_models_schema_and_undo_cleanly(backend, test_databases):
    url = test_databases.create("notifications_migrations", backend=backend)
    assert schema_differences(MIGRATIONS, Base.metadata, url) == []
    assert tables_after_downgrade(MIGRATIONS, url) == []
