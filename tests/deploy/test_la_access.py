"""LA systems reach their own event stream alone (api.md Part 2, "LA event streams"): the Kafka
listener for outside clients is SASL/SCRAM over TLS in compose and on Kubernetes, ACLs are
enforced, and deploy/kafka/la-acls.sh gives an LA's principal read on its own topic and its own
consumer group, nothing else. Read as data (no Docker engine or cluster here); the script runs
against stand-in Kafka tools that record what they were asked."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KAFKA_DIR = ROOT / "deploy" / "kafka"
SCRIPT = KAFKA_DIR / "la-acls.sh"
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_kafka_has_a_scram_over_tls_listener_for_las_and_enforces_acls():
    kafka = COMPOSE["services"]["kafka"]
    env = kafka["environment"]
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert listeners["LA"] == ":9094" and protocols["LA"] == "SASL_SSL"
    assert env["KAFKA_LISTENER_NAME_LA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert "ScramLoginModule required" in env["KAFKA_LISTENER_NAME_LA_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
    assert env["KAFKA_LISTENER_NAME_LA_SSL_KEYSTORE_LOCATION"].startswith("/etc/kafka/la-tls/")
    assert env["KAFKA_LISTENER_NAME_LA_SSL_KEYSTORE_PASSWORD"].startswith("${KAFKA_LA_KEYSTORE_PASSWORD:?")
    assert "LA://${KAFKA_LA_HOST:-localhost}:9094" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    # ACLs enforced; the services' listener stays plain, on the compose network alone.
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"
    assert protocols["PLAINTEXT"] == "PLAINTEXT" and env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "PLAINTEXT"
    assert kafka["ports"] == ["9094:9094"]  # only the LA listener leaves the host
    assert kafka["depends_on"]["kafka-la-tls"]["condition"] == "service_completed_successfully"
    assert "kafka-la-tls:/etc/kafka/la-tls:ro" in kafka["volumes"]


def test_compose_makes_the_listeners_key_pair_and_grants_the_example_la_with_the_script():
    tls = COMPOSE["services"]["kafka-la-tls"]
    assert "keytool -genkeypair" in tls["command"][0] and "-storetype PKCS12" in tls["command"][0]
    acls = COMPOSE["services"]["kafka-la-acls"]
    assert acls["profiles"] == ["la"]  # run by hand, per LA
    assert acls["entrypoint"] == ["/bin/sh", "/opt/attendance/la-acls.sh"]
    assert "./deploy/kafka/la-acls.sh:/opt/attendance/la-acls.sh:ro" in acls["volumes"]
    assert acls["environment"]["LA_CODE"] == "${LA_CODE:-380}"
    assert acls["environment"]["BOOTSTRAP_SERVER"] == "kafka:9092"
    assert acls["environment"]["LA_PASSWORD"] == "${LA_PASSWORD:-}"  # no password, no grant
    assert "kafka-la-tls" in COMPOSE["volumes"]


def run_script(
    tmp_path: Path, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """la-acls.sh against stand-in Kafka tools that log their arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for tool in ("kafka-topics.sh", "kafka-configs.sh", "kafka-acls.sh"):
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "{tool} $*" >> "{log}"\n')
        stub.chmod(0o755)
    result = subprocess.run(
        ["/bin/sh", str(SCRIPT), *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KAFKA_BIN": str(bin_dir), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = [shlex.split(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def acl_grants(calls: list[list[str]]) -> list[tuple[str, str, str, str, str]]:
    """(principal, operation, resource kind, resource name, pattern) for every ACL added."""
    grants = []
    for call in calls:
        if call[0] != "kafka-acls.sh" or "--add" not in call:
            continue
        principal = call[call.index("--allow-principal") + 1]
        operations = [call[i + 1] for i, arg in enumerate(call) if arg == "--operation"]
        kinds = [
            (arg[2:], call[i + 1])
            for i, arg in enumerate(call)
            if arg in ("--topic", "--group", "--cluster", "--transactional-id")
        ]
        pattern = call[call.index("--resource-pattern-type") + 1]
        assert len(kinds) == 1, call
        grants += [(principal, op, kinds[0][0], kinds[0][1], pattern) for op in operations]
    return grants


def test_the_script_grants_an_la_read_on_its_own_topic_and_group_alone(tmp_path):
    result, calls = run_script(
        tmp_path, LA_CODE="380", LA_PASSWORD="s3cret-s3cret-s3cret", BOOTSTRAP_SERVER="kafka:9092"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(acl_grants(calls)) == [
        ("User:la-380", "Describe", "group", "la-380", "literal"),
        ("User:la-380", "Describe", "topic", "attendance.la.380", "literal"),
        ("User:la-380", "Read", "group", "la-380", "literal"),
        ("User:la-380", "Read", "topic", "attendance.la.380", "literal"),
    ]
    created = [call[call.index("--topic") + 1] for call in calls if call[0] == "kafka-topics.sh"]
    assert created == ["attendance.la.380", "attendance.la.380.dlq"]
    (scram,) = [call for call in calls if call[0] == "kafka-configs.sh"]
    assert scram[scram.index("--entity-name") + 1] == "la-380"
    assert scram[scram.index("--add-config") + 1].startswith("SCRAM-SHA-512=[")
    assert all(call[call.index("--bootstrap-server") + 1] == "kafka:9092" for call in calls)


def test_the_script_revokes_what_it_granted(tmp_path):
    result, calls = run_script(tmp_path, "revoke", LA_CODE="380")
    assert result.returncode == 0, result.stderr
    removed = [call for call in calls if call[0] == "kafka-acls.sh" and "--remove" in call]
    assert {call[call.index("--topic") + 1] for call in removed if "--topic" in call} == {"attendance.la.380"}
    assert {call[call.index("--group") + 1] for call in removed if "--group" in call} == {"la-380"}
    assert any("--delete-config" in call for call in calls if call[0] == "kafka-configs.sh")


@pytest.mark.parametrize("code", ["", "38.0", "380,*", "*", "380 381"])
def test_the_script_refuses_a_code_that_could_reach_another_topic(tmp_path, code):
    result, calls = run_script(tmp_path, LA_CODE=code, LA_PASSWORD="s3cret-s3cret-s3cret")
    assert result.returncode == 2 and calls == []


def test_the_script_refuses_to_grant_without_a_password(tmp_path):
    result, calls = run_script(tmp_path, LA_CODE="380")
    assert result.returncode == 2 and calls == [] and "LA_PASSWORD" in result.stderr


def kubernetes_docs() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for name in ("kafka.yaml", "la-380.yaml"):
        for doc in yaml.safe_load_all((KAFKA_DIR / name).read_text()):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def test_kubernetes_kafka_has_the_la_listener_with_scram_over_tls_and_simple_authorization():
    kafka = kubernetes_docs()[("Kafka", "attendance")]["spec"]["kafka"]
    listeners = {listener["name"]: listener for listener in kafka["listeners"]}
    la = listeners["la"]
    assert (la["port"], la["tls"], la["authentication"]) == (9094, True, {"type": "scram-sha-512"})
    assert la["type"] in ("loadbalancer", "ingress", "route", "nodeport")
    plain = listeners["plain"]
    assert (plain["port"], plain["type"], plain["tls"]) == (9092, "internal", False)
    namespaces = [
        p["namespaceSelector"]["matchLabels"] for p in plain["networkPolicyPeers"] if "namespaceSelector" in p
    ]
    assert namespaces == [{"kubernetes.io/metadata.name": "attendance"}]
    assert kafka["authorization"] == {"type": "simple", "superUsers": ["ANONYMOUS"]}
    assert kafka["config"]["auto.create.topics.enable"] is False
    # The production overlay's bootstrap is this cluster's.
    overlay = (ROOT / "deploy" / "overlays" / "production" / "kustomization.yaml").read_text()
    assert "KAFKA_BOOTSTRAP_SERVERS=attendance-kafka-bootstrap.kafka.svc:9092" in overlay


def test_kubernetes_grants_the_example_la_with_the_same_script():
    job = kubernetes_docs()[("Job", "la-acls-380")]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["/bin/sh", "/opt/attendance/la-acls.sh"]
    env = {item["name"]: item for item in container["env"]}
    assert env["LA_CODE"]["value"] == "380"
    assert env["LA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "la-380-credentials",
        "key": "password",
    }
    assert env["BOOTSTRAP_SERVER"]["value"] == "attendance-kafka-bootstrap:9092"
    (volume,) = pod["volumes"]
    assert volume["configMap"]["name"] == "la-acls-script"
    assert pod["securityContext"]["runAsNonRoot"] is True
    # The plain listener lets the Job in.
    kafka = kubernetes_docs()[("Kafka", "attendance")]["spec"]["kafka"]
    (plain,) = [listener for listener in kafka["listeners"] if listener["name"] == "plain"]
    selectors = [p["podSelector"]["matchLabels"] for p in plain["networkPolicyPeers"] if "podSelector" in p]
    assert job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] in [
        s["app.kubernetes.io/name"] for s in selectors
    ]
    kustomization = yaml.safe_load((KAFKA_DIR / "kustomization.yaml").read_text())
    assert kustomization["configMapGenerator"] == [{"name": "la-acls-script", "files": ["la-acls.sh"]}]


def test_the_kafka_kustomization_builds():
    command = (
        ["kustomize", "build"]
        if shutil.which("kustomize")
        else ["kubectl", "kustomize"]
        if shutil.which("kubectl")
        else None
    )
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    built = subprocess.run([*command, str(KAFKA_DIR)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    docs = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert {doc["metadata"]["namespace"] for doc in docs} == {"kafka"}
    (config_map,) = [doc for doc in docs if doc["kind"] == "ConfigMap"]
    assert config_map["data"]["la-acls.sh"] == SCRIPT.read_text()
    (job,) = [doc for doc in docs if doc["kind"] == "Job"]
    (volume,) = job["spec"]["template"]["spec"]["volumes"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]  # the hashed name


def test_the_deploy_readme_says_how_an_la_connects():
    readme = (ROOT / "deploy" / "README.md").read_text()
    for needle in ("## LA systems", "la-acls.sh", "SCRAM-SHA-512", "9094", "attendance.la.", "la-380"):
        assert needle in readme, needle
