"""`make status` reads a worker's metrics: lag, outbox backlog, dead letters, the last event applied."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from attendance_common.metrics import note_last_applied
from attendance_common.status import pipeline_of, render

WORKER_METRICS = """
# TYPE attendance_consumer_lag gauge
attendance_consumer_lag{consumer="alerts-marks",partition="0",topic="attendance.marks"} 3.0
attendance_consumer_lag{consumer="alerts-marks",partition="1",topic="attendance.marks"} 4.0
attendance_consumer_lag{consumer="alerts-pupils",partition="0",topic="attendance.pupils"} 0.0
# TYPE attendance_outbox_backlog gauge
attendance_outbox_backlog{service="alerts"} 12.0
# TYPE attendance_dead_lettered counter
attendance_dead_lettered_total{consumer="alerts-marks",topic="attendance.marks"} 2.0
attendance_dead_lettered_created{consumer="alerts-marks",topic="attendance.marks"} 1.7e9
# TYPE attendance_last_event_applied_timestamp_seconds gauge
attendance_last_event_applied_timestamp_seconds{consumer="alerts-marks",type="attendance.mark.recorded"} 2e9
attendance_last_event_applied_timestamp_seconds{consumer="alerts-pupils",type="attendance.pupil.upserted"} 1e9
"""


def samples(text: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def test_a_services_figures_add_up_its_partitions_and_consumers():
    pipeline = pipeline_of(samples(WORKER_METRICS))

    assert (pipeline.lag, pipeline.outbox_backlog, pipeline.dead_letters) == (7, 12, 2)
    assert pipeline.last_applied == ("attendance.mark.recorded", 2e9)


def test_a_worker_with_no_consumer_has_no_lag_and_no_last_event():
    registers = '# TYPE attendance_outbox_backlog gauge\nattendance_outbox_backlog{service="registers"} 0\n'
    pipeline = pipeline_of(samples(registers))

    assert (pipeline.lag, pipeline.outbox_backlog, pipeline.dead_letters, pipeline.last_applied) == (
        None, 0, 0, None
    )  # fmt: skip


def test_a_consumer_keeps_one_sample_naming_the_type_it_applied_last():
    note_last_applied("status-test", "attendance.school.upserted", None)
    note_last_applied("status-test", "attendance.pupil.upserted", "attendance.school.upserted")

    def last(event_type: str) -> float | None:
        labels = {"consumer": "status-test", "type": event_type}
        return REGISTRY.get_sample_value("attendance_last_event_applied_timestamp_seconds", labels)

    assert last("attendance.school.upserted") is None
    assert last("attendance.pupil.upserted") is not None


def test_an_unreachable_worker_runs_on_in_its_row():
    rows = [["registers", "ready", "0", "0", "0", "-"], ["alerts", "down", "worker metrics unreachable"]]
    table = render(rows)

    header, registers, alerts = table.splitlines()
    assert header.startswith("service    api    consumer lag")
    assert registers.split() == ["registers", "ready", "0", "0", "0", "-"]
    assert alerts == "alerts     down   worker metrics unreachable"
