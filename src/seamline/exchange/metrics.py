"""Prometheus metrics of one app instance (its own registry, so tests can build many)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "seamline_exchange_requests",
            "API requests by client, route and outcome",
            ["client", "route", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "seamline_exchange_request_seconds",
            "Request latency by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.audit_write = Histogram(
            "seamline_exchange_audit_commit_seconds",
            "Time to commit one batch of audit events",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.audit_batch = Histogram(
            "seamline_exchange_audit_batch_events",
            "Audit events per group commit",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=self.registry,
        )

    def observe_commit(self, seconds: float, events: int) -> None:
        self.audit_write.observe(seconds)
        self.audit_batch.observe(events)

    def render(self) -> bytes:
        return generate_latest(self.registry)
