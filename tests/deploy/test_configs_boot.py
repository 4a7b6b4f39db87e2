"""The shipped configurations start: each service's settings load from exactly the environment its
containers get, from docker-compose.yml (API, worker, migration; `${VAR}` filled in as an operator
would) and from the rendered Kubernetes manifests (base and production overlay, secrets filled in
as deploy/README.md lists them). A setting the services refuse in production fails here, not at
three in the morning."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from attendance_common.auth import mint_token
from attendance_common.auth.verifier import TokenVerifier
from attendance_common.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registers", "alerts", "casework", "notifications")

# What an operator puts in `.env` (README "Production-like: docker compose").
COMPOSE_OPERATOR = {
    "ATTENDANCE_JWT_SECRET": "4f" * 32,
    "CASEWORK_FAMILY_KEY_SECRET": "9a" * 32,
    "POSTGRES_PASSWORD": "c0ffee" * 4,
    "KAFKA_LA_KEYSTORE_PASSWORD": "beef" * 8,
}
# ... and with an identity provider instead of HS256 tokens.
IDENTITY_PROVIDER = {
    "ATTENDANCE_JWT_JWKS_URL": "https://login.la.example.gov.uk/.well-known/jwks.json",
    "ATTENDANCE_JWT_ISSUER": "https://login.la.example.gov.uk/",
    "ATTENDANCE_JWT_AUDIENCE": "attendance-api",
    "ATTENDANCE_JWT_ALLOW_HS256": "false",
}
# The secrets deploy/README.md says to create out of band.
KUBERNETES_SECRETS = {
    "attendance-secrets": {"ATTENDANCE_JWT_SECRET": "7e" * 32},
    **{
        f"{name}-secrets": {f"{name.upper()}_DATABASE_URL": f"postgresql://{name}:pw@db.internal:5432/{name}"}
        for name in SERVICES
    },
}
KUBERNETES_SECRETS["casework-secrets"]["CASEWORK_FAMILY_KEY_SECRET"] = "5d" * 32

_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value: str, operator: Mapping[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `$$`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        present = name in operator and (operator[name] != "" or op not in (":-", ":?"))
        if present:
            return operator[name]
        if op in (":?", "?"):
            raise AssertionError(f"compose refuses to start without {name}: {arg}")
        return arg if op in (":-", "-") else ""

    return _VARIABLE.sub(replace, value)


def compose_environment(container: str, operator: Mapping[str, str]) -> dict[str, str]:
    """The container's environment: listed values interpolated; bare names passed through if set."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    listed: dict[str, Any] = compose["services"][container].get("environment") or {}
    environment = {}
    for name, value in listed.items():
        if value is None:
            if name in operator:
                environment[name] = operator[name]
        else:
            environment[name] = interpolate(str(value), operator)
    return environment


def compose_containers() -> list[tuple[str, str]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return [
        (container, name)
        for name in SERVICES
        for container in compose["services"]
        if container.startswith(f"{name}-")
    ]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Replace the whole process environment with a container's, for the settings to read."""

    def use(variables: Mapping[str, str]) -> None:
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    yield use


def load_settings(service: str) -> ServiceSettings:
    settings: ServiceSettings = importlib.import_module(f"{service}.settings").Settings()
    return settings


def accepts_a_minted_token(settings: ServiceSettings) -> bool:
    """Whether a `make token` token (HS256, the settings' secret) verifies under these settings."""
    token = mint_token(secret=settings.jwt_secret, sub="operator", role="admin")
    return asyncio.run(TokenVerifier.from_settings(settings).verify(token)).is_admin


@pytest.mark.parametrize("operator", ["hs256", "identity_provider"])
@pytest.mark.parametrize(("container", "service"), compose_containers())
def test_every_compose_container_loads_its_settings(environment, container, service, operator):
    values = COMPOSE_OPERATOR | (IDENTITY_PROVIDER if operator == "identity_provider" else {})
    environment(compose_environment(container, values))

    settings = load_settings(service)

    assert settings.is_production
    assert settings.resolved_database_url.endswith(f"@postgres:5432/{service}")
    if operator == "identity_provider":
        assert settings.jwt_jwks_url == IDENTITY_PROVIDER["ATTENDANCE_JWT_JWKS_URL"]
        assert not settings.hs256_allowed
    else:
        assert settings.jwt_secret == COMPOSE_OPERATOR["ATTENDANCE_JWT_SECRET"]
        assert accepts_a_minted_token(settings)


def test_compose_names_every_container_of_every_service():
    names = {container for container, _ in compose_containers()}
    parts = ("migrate", "api", "worker", "retention")
    assert {f"{s}-{part}" for s in SERVICES for part in parts} <= names


# Kubernetes: the manifests as `kubectl kustomize` renders them.


def kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@cache
def rendered(folder: str) -> tuple[dict[str, Any], ...]:
    command = kustomize()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    built = subprocess.run(
        [*command, str(ROOT / "deploy" / folder)], capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stderr
    return tuple(doc for doc in yaml.safe_load_all(built.stdout) if doc)


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template")
    return template["spec"] if template else None


def container_environment(docs: tuple[dict[str, Any], ...], container: dict[str, Any]) -> dict[str, str]:
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in docs if doc["kind"] == "ConfigMap"}
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            environment.update(config_maps[source["configMapRef"]["name"]])
        else:
            name = source["secretRef"]["name"]
            assert name in KUBERNETES_SECRETS, f"{name} is not among deploy/README.md's secrets"
            environment.update(KUBERNETES_SECRETS[name])
    for variable in container.get("env", []):
        assert "value" in variable, f"{variable['name']} comes from elsewhere: teach this test"
        environment[variable["name"]] = str(variable["value"])
    return environment


@pytest.mark.parametrize("folder", ["base", "overlays/production"])
def test_every_kubernetes_container_loads_its_settings(environment, folder):
    docs = rendered(folder)
    loaded = []
    for doc in docs:
        spec = pod_spec(doc)
        if spec is None:
            continue
        service = doc["metadata"]["labels"]["app.kubernetes.io/name"]
        for container in spec["containers"]:
            environment(container_environment(docs, container))
            settings = load_settings(service)
            assert settings.is_production
            assert settings.hs256_allowed is (folder == "base")
            if settings.hs256_allowed:
                assert accepts_a_minted_token(settings)
            loaded.append((doc["kind"], doc["metadata"]["name"]))
    # An API and a worker Deployment and a migration Job per service, at least.
    assert len([kind for kind, _ in loaded if kind == "Deployment"]) == 2 * len(SERVICES)
    assert len([kind for kind, _ in loaded if kind == "Job"]) == len(SERVICES)
    assert len([kind for kind, _ in loaded if kind == "CronJob"]) == len(SERVICES)  # retention


def test_the_production_overlay_trusts_the_identity_provider_only(environment):
    docs = rendered("overlays/production")
    (config,) = [doc["data"] for doc in docs if doc["kind"] == "ConfigMap"]
    environment({**config, **KUBERNETES_SECRETS["registers-secrets"]})

    settings = load_settings("registers")

    assert settings.jwt_jwks_url and settings.jwt_jwks_url.startswith("https://")
    assert settings.jwt_issuer and settings.jwt_audience
    assert not settings.hs256_allowed
