"""Faults during a term: workers killed, the broker unreachable, poison on every topic.

Each test runs a school's term through the shared stack while the fault happens, then counts marks,
alerts, cases and messages against what must follow: nothing lost, nothing doubled.
E2E_KILLS sets how often each worker is killed (default 3; 10 for the full run).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from e2e_checks import settle_and_check
from e2e_client import Driver
from e2e_expect import expect
from e2e_faults import Killer, poison_records
from e2e_school import make_school
from e2e_stack import DELIVERY_BATCH

from attendance_common.events.base import TOPICS, dlq_topic
from attendance_common.stack import SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
KILLS = int(os.environ.get("E2E_KILLS", "3"))
SIZE = 200  # pupils: every profile, fewer of the plain ones


def test_workers_killed_at_random_moments_lose_and_double_nothing(stack, smtp, webhooks):
    school = make_school("100002", "381", size=SIZE, seed=2)
    driver = Driver(stack, school)
    driver.enrol(webhook_url=webhooks.url)
    killer = Killer(stack, list(SERVICES), KILLS, window=8 + 4 * KILLS)
    killer.start()
    assert driver.post_term() == Counter(accepted=school.mark_count())
    killer.join()
    assert killer.error is None, killer.error
    assert len(killer.done) == KILLS * len(SERVICES)
    # A batch of deliveries is sent again when its worker dies between sending and recording them.
    resent = KILLS * DELIVERY_BATCH
    settle_and_check(driver, expect(school, settled=False), smtp, webhooks, at_least_once=resent)


def test_the_broker_unreachable_for_a_while_holds_everything_until_it_is_back(stack, smtp, webhooks):
    school = make_school("100003", "382", size=SIZE, seed=3)
    driver = Driver(stack, school)
    driver.enrol(webhook_url=webhooks.url)
    registers = len(school.registers())
    cut_at, restore_at = registers // 3, 2 * registers // 3
    assert stack.proxy is not None
    cut_started = 0.0

    def between(n: int) -> None:
        nonlocal cut_started
        if n == cut_at:
            stack.proxy.cut()
            cut_started = time.monotonic()
        if n == restore_at:
            time.sleep(max(0.0, 15 - (time.monotonic() - cut_started)))  # down at least 15 s
            stack.proxy.restore()

    # The API keeps taking registers while the broker is away: they wait in its outbox.
    assert driver.post_term(between) == Counter(accepted=school.mark_count())
    settle_and_check(driver, expect(school, settled=False), smtp, webhooks)


# Consumer groups per topic: those that handle the poison's event type, and all that read the topic.
# Notifications' LA-streams group (la_streams.py) reads the alerts, cases and pupils topics and
# handles alert.raised and referral.made there, not pupil.upserted.
TYPED_GROUPS = {
    "attendance.pupils": 3,
    "attendance.marks": 2,
    "attendance.requests": 1,
    "attendance.alerts": 3,
    "attendance.cases": 2,
}
READING_GROUPS = {
    "attendance.pupils": 4,
    "attendance.marks": 2,
    "attendance.requests": 1,
    "attendance.alerts": 3,
    "attendance.cases": 2,
}


def test_a_poison_event_on_every_topic_goes_to_its_dlq_and_processing_continues(stack, smtp, webhooks):
    school = make_school("100004", "383", size=SIZE, seed=4)
    driver = Driver(stack, school)
    driver.enrol(webhook_url=webhooks.url)
    bootstrap = f"127.0.0.1:{stack.proxy.port}"  # type: ignore[union-attr]
    poisoned: dict[str, set[bytes]] = {}

    def between(n: int) -> None:
        if n == 40:
            poisoned.update(asyncio.run(send_poison(bootstrap)))

    assert driver.post_term(between) == Counter(accepted=school.mark_count())
    settle_and_check(driver, expect(school, settled=False), smtp, webhooks)
    wanted = {t: TYPED_GROUPS.get(t, 0) + READING_GROUPS.get(t, 0) for t in TOPICS}
    assert asyncio.run(dead_letters(bootstrap, poisoned, wanted)) == wanted


async def send_poison(bootstrap: str) -> dict[str, set[bytes]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent: dict[str, set[bytes]] = {}
    try:
        for topic in TOPICS:
            for value, headers in poison_records(topic):
                await producer.send_and_wait(topic, value=value, key=b"poison", headers=headers)
                sent.setdefault(topic, set()).add(dict(headers)["e2e_poison"])
    finally:
        await producer.stop()
    return sent


async def dead_letters(
    bootstrap: str, poisoned: dict[str, set[bytes]], wanted: dict[str, int]
) -> dict[str, int]:
    """Poison records found on each `<topic>.dlq` (one per consumer group that gave up on it)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    found = dict.fromkeys(TOPICS, 0)
    try:
        partitions = [
            TopicPartition(dlq_topic(t), p)
            for t in TOPICS
            for p in consumer.partitions_for_topic(dlq_topic(t)) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 60
        while found != wanted and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                topic = tp.topic.removesuffix(".dlq")
                for record in records:
                    mark = dict(record.headers).get("e2e_poison")
                    found[topic] += mark in poisoned.get(topic, set())
    finally:
        await consumer.stop()
    return found
