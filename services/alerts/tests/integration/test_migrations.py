"""The alerts migrations build exactly the schema the models describe, and undo cleanly."""

import pytest

from alerts.main import MIGRATIONS
from alerts.models import Base
from attendance_common.testing.migrations import schema_differences, tables_after_downgrade

pytestmark = pytest.mark.integration


def test_migrations_build_exactly_the_models_schema_and_undo_cleanly(backend, test_databases):
    url = test_databases.create("alerts_migrations", backend=backend)
    assert schema_differences(MIGRATIONS, Base.metadata, url) == []
    assert tables_after_downgrade(MIGRATIONS, url) == []
