"""Logs are one JSON object per line, with the service, level and a UTC timestamp."""

from __future__ import annotations

import json
import logging

import structlog

from attendance_common.logging import configure_logging


def test_structlog_and_stdlib_logs_are_json_lines_naming_the_service(capsys):
    configure_logging("registers", level="INFO", json=True)
    structlog.get_logger("test").info("marks_stored", accepted=3)
    logging.getLogger("uvicorn.error").warning("port busy")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert lines[0]["event"] == "marks_stored" and lines[0]["accepted"] == 3
    assert lines[1]["event"] == "port busy" and lines[1]["level"] == "warning"
    assert all(line["service"] == "registers" and line["timestamp"].endswith("Z") for line in lines)


def test_debug_is_dropped_at_info_level(capsys):
    configure_logging("alerts", level="INFO", json=True)
    structlog.get_logger("test").debug("noise")
    assert capsys.readouterr().err == ""


def test_a_line_logged_inside_a_span_carries_its_trace_and_span_ids(capsys):
    from attendance_common.tracing import configure_tracing, tracer

    configure_logging("alerts", level="INFO", json=True)
    configure_tracing("alerts")
    with tracer.start_as_current_span("work") as span:
        structlog.get_logger("test").info("inside")
        logging.getLogger("aiokafka").warning("stdlib inside")
    structlog.get_logger("test").info("outside")
    inside, stdlib, outside = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    context = span.get_span_context()
    assert inside["trace_id"] == stdlib["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in outside
