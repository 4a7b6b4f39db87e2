"""deploy/: per service an API and a worker Deployment with probes, a Service, a migration Job, a
nightly retention CronJob, disruption budgets and an API autoscaler; worker replicas never exceed the
partition count.
`kustomize build` (or `kubectl kustomize`) renders the overlay when either is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = ("registers", "alerts", "casework", "notifications")


def base() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for name in SERVICES:
        for doc in yaml.safe_load_all((DEPLOY / "base" / f"{name}.yaml").read_text()):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


MANIFESTS = base()
KUSTOMIZATION = yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())
CONFIG = dict(
    literal.split("=", 1)
    for generator in KUSTOMIZATION["configMapGenerator"]
    if generator["name"] == "attendance-config"
    for literal in generator["literals"]
)
PARTITIONS = int(CONFIG["KAFKA_PARTITIONS"])


def pod_template(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]
    return dict(spec["jobTemplate"]["spec"]["template"] if doc["kind"] == "CronJob" else spec["template"])


def pod(kind: str, name: str) -> dict[str, Any]:
    return dict(pod_template(MANIFESTS[(kind, name)])["spec"])


def container(kind: str, name: str) -> dict[str, Any]:
    (only,) = pod(kind, name)["containers"]
    return dict(only)


WORKLOADS = (("Deployment", "api"), ("Deployment", "worker"), ("Job", "migrate"), ("CronJob", "retention"))


def test_every_manifest_file_is_in_the_base():
    assert sorted(KUSTOMIZATION["resources"]) == sorted(f"{name}.yaml" for name in SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_api_probes_ready_on_readyz_and_alive_on_healthz(name):
    api = container("Deployment", f"{name}-api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert MANIFESTS[("Service", name)]["spec"]["selector"]["app.kubernetes.io/component"] == "api"


@pytest.mark.parametrize("name", SERVICES)
def test_every_container_reads_the_shared_config_and_its_secrets(name):
    for kind, suffix in WORKLOADS:
        refs = container(kind, f"{name}-{suffix}")["envFrom"]
        assert {"configMapRef": {"name": "attendance-config"}} in refs
        assert {"secretRef": {"name": f"{name}-secrets"}} in refs
        assert {"secretRef": {"name": "attendance-secrets"}} in refs


@pytest.mark.parametrize("name", SERVICES)
def test_worker_runs_the_worker_with_a_liveness_probe_and_bounded_replicas(name):
    worker = MANIFESTS[("Deployment", f"{name}-worker")]
    assert container("Deployment", f"{name}-worker")["command"] == ["python", "-m", f"{name}.worker"]
    assert "livenessProbe" in container("Deployment", f"{name}-worker")
    assert 1 <= worker["spec"]["replicas"] <= PARTITIONS
    autoscaler = MANIFESTS.get(("HorizontalPodAutoscaler", f"{name}-worker"))
    if autoscaler is not None:
        assert autoscaler["spec"]["maxReplicas"] <= PARTITIONS


@pytest.mark.parametrize("name", SERVICES)
def test_migrations_are_a_job_and_apps_never_migrate_at_start(name):
    job = MANIFESTS[("Job", f"{name}-migrate")]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert container("Job", f"{name}-migrate")["command"] == [
        "python",
        "-m",
        "attendance_common.migrate",
        name,
    ]
    for suffix in ("api", "worker"):
        env = {e["name"]: e["value"] for e in container("Deployment", f"{name}-{suffix}")["env"]}
        assert env[f"{name.upper()}_MIGRATE_ON_START"] == "false"


@pytest.mark.parametrize("name", SERVICES)
def test_disruption_budgets_and_api_autoscaling(name):
    for suffix in ("api", "worker"):
        budget = MANIFESTS[("PodDisruptionBudget", f"{name}-{suffix}")]
        assert budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == suffix
    autoscaler = MANIFESTS[("HorizontalPodAutoscaler", f"{name}-api")]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == f"{name}-api"
    assert autoscaler["spec"]["minReplicas"] >= 2


@pytest.mark.parametrize("name", SERVICES)
def test_pods_run_as_non_root_within_the_grace_period(name):
    for kind, suffix in WORKLOADS:
        spec = pod(kind, f"{name}-{suffix}")
        assert spec["securityContext"]["runAsNonRoot"] is True
        if suffix == "retention":
            continue  # it stops between batches: no shutdown bound to fit
        env = {e["name"]: e["value"] for e in spec["containers"][0]["env"]}
        # The worker's shutdown bound fits in the time Kubernetes waits before SIGKILL.
        assert float(env[f"{name.upper()}_SHUTDOWN_SECONDS"]) < spec["terminationGracePeriodSeconds"]


@pytest.mark.parametrize("name", SERVICES)
def test_retention_is_a_nightly_cron_job_one_run_at_a_time(name):
    job = MANIFESTS[("CronJob", f"{name}-retention")]["spec"]
    assert container("CronJob", f"{name}-retention")["command"] == [
        "python",
        "-m",
        "attendance_common.retention",
        name,
    ]
    _minute, hour, *every_day = job["schedule"].split()
    assert every_day == ["*", "*", "*"] and 0 <= int(hour) <= 5  # at night, school time
    assert job["timeZone"] == "Europe/London"
    assert job["concurrencyPolicy"] == "Forbid"
    assert pod("CronJob", f"{name}-retention")["restartPolicy"] == "Never"
    env = {e["name"]: e["value"] for e in container("CronJob", f"{name}-retention")["env"]}
    assert env[f"{name.upper()}_MIGRATE_ON_START"] == "false"


def kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def test_the_production_overlay_builds():
    command = kustomize()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    built = subprocess.run(
        [*command, str(DEPLOY / "overlays" / "production")], capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    docs = list(yaml.safe_load_all(built.stdout))
    assert {doc["metadata"].get("namespace") for doc in docs} == {"attendance"}
    kinds = sorted(doc["kind"] for doc in docs)
    assert kinds.count("Deployment") == 8 and kinds.count("Job") == 4 and kinds.count("ConfigMap") == 1
    assert kinds.count("CronJob") == 4
    templates = [pod_template(doc) for doc in docs if doc["kind"] in ("Deployment", "Job", "CronJob")]
    images = {c["image"] for template in templates for c in template["spec"]["containers"]}
    assert all(image.startswith("registry.example.org/attendance/") for image in images)


def test_access_logs_are_on_in_the_cluster():
    assert CONFIG["ATTENDANCE_ACCESS_LOG"] == "true"
