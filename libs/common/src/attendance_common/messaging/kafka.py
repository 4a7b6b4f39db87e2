"""aiokafka producer, consumer and topic creation, configured from a service's settings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from attendance_common.events.base import TOPICS, dlq_topic
from attendance_common.settings import ServiceSettings

log = structlog.get_logger(__name__)
TOPIC_ALREADY_EXISTS = 36


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """acks=all; idempotence only where the broker supports it (Tansu does not)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        max_batch_size=1_048_576,
        max_request_size=8_388_608,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        client_id=settings.service,
    )


def make_consumer(settings: ServiceSettings, group_id: str, topics: Iterable[str]) -> AIOKafkaConsumer:
    """Manual offset commits (after the database transaction), earliest offset for a new group."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=f"{settings.service}-{group_id}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        rebalance_timeout_ms=settings.kafka_rebalance_timeout_ms,
        max_partition_fetch_bytes=8_388_608,
        fetch_max_bytes=33_554_432,
    )


async def ensure_topics(
    settings: ServiceSettings, topics: Iterable[str] = TOPICS, *, wait_seconds: float = 60
) -> None:
    """Create each topic and its `.dlq` if missing, waiting for the broker to answer first."""
    names = [name for topic in topics for name in (topic, dlq_topic(topic))]
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers, client_id=settings.service
        )
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [name for name in names if name not in existing]
            if missing:
                response = await admin.create_topics(
                    [NewTopic(name, settings.kafka_partitions, 1) for name in missing]
                )
                for topic, code, message in _topic_errors(response):
                    if code not in (0, TOPIC_ALREADY_EXISTS):
                        raise RuntimeError(f"cannot create topic {topic}: {code} {message}")
                log.info("topics_created", topics=missing)
            return
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("broker_unreachable", bootstrap=settings.kafka_bootstrap_servers)
            await asyncio.sleep(1)
        finally:
            await admin.close()


def _topic_errors(response: object) -> list[tuple[str, int, str | None]]:
    return [(error[0], error[1], error[2] if len(error) > 2 else None) for error in response.topic_errors]  # type: ignore[attr-defined]
