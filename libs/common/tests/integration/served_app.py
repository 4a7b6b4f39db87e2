"""A service app with no routes of its own, for uvicorn to serve as `make run` serves one
(test_access_log). Its settings come from the environment, as a service's do."""

from __future__ import annotations

from attendance_common.settings import ServiceSettings
from attendance_common.web import create_service_app

app = create_service_app(ServiceSettings(service="served"), title="Served", routers=[])
