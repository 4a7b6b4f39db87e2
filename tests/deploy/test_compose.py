"""docker-compose.yml, read as data: every service has an image, a healthcheck, its database and
the broker; APIs and workers wait for their migration and for healthy PostgreSQL, workers for Kafka;
the `retention` profile runs each service's retention.
`docker compose config` also checks it when a Docker engine answers (none on our machines)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registers", "alerts", "casework", "notifications")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APPS = {f"{name}-{part}": name for name in SERVICES for part in ("migrate", "api", "worker")}


def test_kafka_is_the_official_image_in_kraft_mode_and_postgres_is_16():
    kafka, postgres = COMPOSE["services"]["kafka"], COMPOSE["services"]["postgres"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert postgres["image"] == "postgres:16"
    assert all("healthcheck" in COMPOSE["services"][name] for name in ("kafka", "postgres"))


def test_postgres_gets_one_database_per_service():
    mounts = COMPOSE["services"]["postgres"]["volumes"]
    (script,) = [m.split(":")[0] for m in mounts if "docker-entrypoint-initdb.d" in m]
    sql = (ROOT / script).read_text()
    assert [name for name in SERVICES if f"CREATE DATABASE {name};" not in sql] == []


@pytest.mark.parametrize("app", sorted(APPS))
def test_each_process_has_an_image_its_database_and_the_broker(app):
    service, name = COMPOSE["services"][app], APPS[app]
    assert service["image"] == f"attendance/{name}:latest"
    assert service["build"]["args"]["SERVICE"] == name
    env = service["environment"]
    assert env[f"{name.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/{name}")
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["ATTENDANCE_ENV"] == "production"
    assert env[f"{name.upper()}_MIGRATE_ON_START"] == "false"  # migrations are their own step
    assert env["ATTENDANCE_ACCESS_LOG"] == "${ATTENDANCE_ACCESS_LOG:-true}"  # a line per request


@pytest.mark.parametrize("name", SERVICES)
def test_api_and_worker_are_health_checked_and_start_after_their_migration(name):
    services = COMPOSE["services"]
    migrate = services[f"{name}-migrate"]
    assert migrate["command"] == ["python", "-m", "attendance_common.migrate", name]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for part in ("api", "worker"):
        service = services[f"{name}-{part}"]
        assert service["healthcheck"]["test"][0] == "CMD"
        depends = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        # An API needs no broker (its events wait in the outbox), so it does not wait for one.
        assert depends == {
            f"{name}-migrate": "service_completed_successfully",
            "postgres": "service_healthy",
            **({"kafka": "service_healthy"} if part == "worker" else {}),
        }
    assert services[f"{name}-worker"]["command"] == ["python", "-m", f"{name}.worker"]
    assert services[f"{name}-worker"]["environment"][f"{name.upper()}_WORKER_METRICS_PORT"] == "9100"


@pytest.mark.parametrize("name", SERVICES)
def test_retention_runs_in_its_own_profile_against_the_services_database(name):
    services = COMPOSE["services"]
    retention = services[f"{name}-retention"]
    assert retention["profiles"] == ["retention"]  # not started by a plain `docker compose up`
    assert retention["command"] == ["python", "-m", "attendance_common.retention", name]
    assert retention["image"] == f"attendance/{name}:latest"
    assert retention["environment"] == services[f"{name}-api"]["environment"]
    depends = {dep: spec["condition"] for dep, spec in retention["depends_on"].items()}
    assert depends == {f"{name}-migrate": "service_completed_successfully", "postgres": "service_healthy"}
    assert retention["restart"] == "no" and "ports" not in retention
    # Every other container runs in the default profile (but an LA's grant, run by hand:
    # test_la_access.py).
    profiled = [c for c, spec in services.items() if "profiles" in spec and c != "kafka-la-acls"]
    assert profiled == [f"{s}-retention" for s in SERVICES]


def test_notifications_channels_are_placeholders_passed_through_from_the_environment():
    env = COMPOSE["services"]["notifications-api"]["environment"]
    for variable in ("NOTIFICATIONS_SMTP_HOST", "NOTIFY_API_KEY"):
        assert variable in env and env[variable] is None


def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.docker
def test_docker_compose_config_accepts_the_file():
    if not docker_engine_answers():
        pytest.skip("no Docker engine answers here")
    secrets = {
        "ATTENDANCE_JWT_SECRET": "x" * 64,
        "CASEWORK_FAMILY_KEY_SECRET": "y" * 64,
        "POSTGRES_PASSWORD": "z",
        "KAFKA_LA_KEYSTORE_PASSWORD": "k" * 32,
    }
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **secrets},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
