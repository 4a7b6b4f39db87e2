#!/bin/sh
# One LA's access to its own event stream (api.md Part 2, "LA event streams"): its topic
# attendance.la.<LA_CODE> (and the .dlq, as the services create topics), its SCRAM-SHA-512
# principal la-<LA_CODE>, and the ACLs that let that principal read its own topic alone and use
# its own consumer group (la-<LA_CODE>) alone. Nothing else: no shared topic, no other LA's, no
# writes. Idempotent: run it again to change the password; `revoke` takes the access away.
#
#   LA_CODE=380 LA_PASSWORD=... la-acls.sh            grant (or re-grant) LA 380
#   LA_CODE=380 la-acls.sh revoke                     remove its ACLs and its SCRAM credential
#
# Runs where the Kafka CLI is (the apache/kafka image; deploy/README.md "LA systems"), against
# the internal listener as an admin: BOOTSTRAP_SERVER (kafka:9092), ADMIN_CONFIG (optional
# --command-config file, when that listener itself needs credentials), PARTITIONS (6, as
# KAFKA_PARTITIONS), REPLICATION_FACTOR (1 in compose; 3 on a cluster).
set -eu

KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
BOOTSTRAP_SERVER=${BOOTSTRAP_SERVER:-kafka:9092}
PARTITIONS=${PARTITIONS:-6}
REPLICATION_FACTOR=${REPLICATION_FACTOR:-1}
ACTION=${1:-grant}

case "${LA_CODE:-}" in
  '' | *[!0-9A-Za-z_-]*) echo "la-acls: LA_CODE must be the LA's code (e.g. 380), got '${LA_CODE:-}'" >&2; exit 2 ;;
esac

TOPIC="attendance.la.${LA_CODE}"
PRINCIPAL="User:la-${LA_CODE}"
GROUP="la-${LA_CODE}"

admin() {
  tool=$1
  shift
  if [ -n "${ADMIN_CONFIG:-}" ]; then
    "$KAFKA_BIN/$tool" --bootstrap-server "$BOOTSTRAP_SERVER" --command-config "$ADMIN_CONFIG" "$@"
  else
    "$KAFKA_BIN/$tool" --bootstrap-server "$BOOTSTRAP_SERVER" "$@"
  fi
}

case "$ACTION" in
  grant)
    if [ -z "${LA_PASSWORD:-}" ]; then
      echo "la-acls: set LA_PASSWORD (the LA's SCRAM password, 24+ random characters)" >&2
      exit 2
    fi
    for topic in "$TOPIC" "$TOPIC.dlq"; do
      admin kafka-topics.sh --create --if-not-exists --topic "$topic" \
        --partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR"
    done
    admin kafka-configs.sh --alter --entity-type users --entity-name "la-${LA_CODE}" \
      --add-config "SCRAM-SHA-512=[iterations=8192,password=${LA_PASSWORD}]"
    # Its own topic, by its literal name: read it and its offsets (Describe), nothing more.
    admin kafka-acls.sh --add --allow-principal "$PRINCIPAL" \
      --operation Read --operation Describe --topic "$TOPIC" --resource-pattern-type literal
    # Its own consumer group, by its literal name (so la-380 never matches la-3801).
    admin kafka-acls.sh --add --allow-principal "$PRINCIPAL" \
      --operation Read --operation Describe --group "$GROUP" --resource-pattern-type literal
    ;;
  revoke)
    admin kafka-acls.sh --remove --force --allow-principal "$PRINCIPAL" \
      --operation Read --operation Describe --topic "$TOPIC" --resource-pattern-type literal
    admin kafka-acls.sh --remove --force --allow-principal "$PRINCIPAL" \
      --operation Read --operation Describe --group "$GROUP" --resource-pattern-type literal
    admin kafka-configs.sh --alter --entity-type users --entity-name "la-${LA_CODE}" \
      --delete-config SCRAM-SHA-512
    ;;
  *)
    echo "la-acls: unknown action '$ACTION' (grant or revoke)" >&2
    exit 2
    ;;
esac

admin kafka-acls.sh --list --principal "$PRINCIPAL"
