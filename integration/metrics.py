"""Prometheus metrics of the core, in a registry per app (no module-level state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class CoreMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.events_received = Counter(
            "q2c_events_received", "Inbound events accepted into the inbox", ["source"], registry=r
        )
        self.events_processed = Counter(
            "q2c_events_processed", "Inbox events processed", ["source"], registry=r
        )
        self.events_retried = Counter(
            "q2c_events_retried", "Job attempts that will be retried", ["flow"], registry=r
        )
        self.events_dead_lettered = Counter(
            "q2c_events_dead_lettered",
            "Events or jobs given up on, with the reason kept",
            ["flow"],
            registry=r,
        )
        self.salesforce_calls = Counter(
            "q2c_salesforce_calls", "Salesforce API calls made by the core", ["kind"], registry=r
        )
        self.billing_calls = Counter(
            "q2c_billing_calls", "Billing contract calls made by the core", ["op"], registry=r
        )
        self.batch_size = Histogram(
            "q2c_batch_size",
            "Records per Salesforce write",
            ["flow"],
            buckets=(1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000, 10000),
            registry=r,
        )
        self.lag_seconds = Histogram(
            "q2c_webhook_to_salesforce_lag_seconds",
            "From a billing event's sync job being queued (right after the event is stored) to the Salesforce write",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=r,
        )
        self.queue_depth = Gauge("q2c_jobs_pending", "Jobs waiting in the durable queue", registry=r)
        # Salesforce event channels (integration.events), per channel.
        self.channel_events = Counter(
            "q2c_channel_events", "Salesforce events stored, per channel", ["channel"], registry=r
        )
        self.channel_position = Gauge(
            "q2c_channel_replay_id", "The newest replay id stored, per channel", ["channel"], registry=r
        )
        self.channel_lag = Gauge(
            "q2c_channel_lag_seconds",
            "From the event's creation in Salesforce to the core storing it (the newest event), per channel",
            ["channel"],
            registry=r,
        )
        self.channel_processing_lag = Histogram(
            "q2c_channel_processing_lag_seconds",
            "From an event stored to its jobs queued, per channel",
            ["channel"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=r,
        )
        self.channel_recoveries = Counter(
            "q2c_channel_recoveries",
            "Expired replay positions recovered by a full scan, per channel",
            ["channel"],
            registry=r,
        )
        self.channel_reconnects = Counter(
            "q2c_channel_reconnects", "Event subscriptions re-established", ["transport"], registry=r
        )
        self.events_fallback = Gauge(
            "q2c_events_polling_fallback",
            "1 while the core polls because the org offers no events",
            registry=r,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
