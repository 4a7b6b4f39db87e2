"""OpenTelemetry traces: a span per HTTP request and per consumed event, one trace across Kafka.

The trace travels in the CloudEvents `traceparent` attribute (W3C trace context): staged with the
event in the outbox, published as the `ce_traceparent` header, continued by the consumer's span.
While a handler runs, its event's span is current, so the events it stages carry the same trace.
Spans are exported by OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set; without it trace ids
still exist (for logs and events) but spans go nowhere.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_exporting_to: set[str] = set()
tracer = trace.get_tracer("attendance_common")


def configure_tracing(service: str, otlp_endpoint: str | None = None) -> TracerProvider:
    """Install the SDK tracer provider once per process; add an OTLP exporter once per endpoint."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        trace.set_tracer_provider(provider)
    if otlp_endpoint and otlp_endpoint not in _exporting_to:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The variable names the collector's base URL; the exporter wants the traces path itself.
        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        _exporting_to.add(otlp_endpoint)
    return provider


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, or None outside any span."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from(carrier: dict[str, str]) -> Context | None:
    """The remote parent that `traceparent` (and `tracestate`) in `carrier` name, or None."""
    if "traceparent" not in carrier:
        return None
    return _PROPAGATOR.extract(carrier)


def trace_ids() -> tuple[str, str] | None:
    """The current trace and span ids in their usual hex form, or None outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
