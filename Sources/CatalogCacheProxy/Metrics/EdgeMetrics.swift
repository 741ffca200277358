/// Metrics of the edge purges and the live admin events, rendered after `ProxyMetrics`'s own.
public final class EdgeMetrics: Sendable {
    /// Purge requests by `target:result` (acknowledged, failed, refused).
    public let purgeRequests = LabeledCounter()
    /// Tags acknowledged by a target, by target.
    public let tagsPurged = LabeledCounter()
    /// Batches given up after their last attempt or a refusal, by target.
    public let purgesAbandoned = LabeledCounter()
    /// Times the waiting tags were replaced by the fallback tags, by target.
    public let purgeFallbacks = LabeledCounter()
    /// Tags waiting for their purge, over all targets.
    public let purgeQueueTags = Gauge()
    /// From the local drop to the edge's acknowledgement (the oldest tag of the batch).
    public let invalidatedToPurged = Histogram()

    public let eventSubscribers = Gauge()
    public let eventsPublished = Counter()
    /// Events written to subscribers (one per subscriber).
    public let eventsSent = Counter()
    /// Subscribers closed by the proxy, by reason (slow, unauthorized, full).
    public let eventSubscribersDropped = LabeledCounter()
    /// Subscription attempts answered without a stream, by status.
    public let eventSubscriptionsRefused = LabeledCounter()
    /// From the local drop to the event handed to the subscribers' connections.
    public let invalidatedToEvent = Histogram()

    public init() {}

    func render(into out: inout String) {
        labeled(&out, "catalog_cache_purge_requests_total", "Purge requests to edge targets, by target and result.", purgeRequests, split: ("target", "result"))
        labeled(&out, "catalog_cache_purge_tags_total", "Tags acknowledged by an edge target.", tagsPurged, split: ("target", nil))
        labeled(&out, "catalog_cache_purges_abandoned_total", "Purge batches given up (attempts exhausted or refused), by target.", purgesAbandoned, split: ("target", nil))
        labeled(&out, "catalog_cache_purge_fallbacks_total", "Times a target's purge queue overflowed and fell back to the fixed tags.", purgeFallbacks, split: ("target", nil))
        out += "# HELP catalog_cache_purge_queue_tags Tags waiting to be purged at the edge.\n# TYPE catalog_cache_purge_queue_tags gauge\ncatalog_cache_purge_queue_tags \(purgeQueueTags.current)\n"
        Histogram.render(&out, "catalog_cache_invalidated_to_purged_seconds", "From the local drop to the edge acknowledging the purge.", invalidatedToPurged)
        out += "# HELP catalog_cache_admin_event_subscribers Open GET /admin/events streams.\n# TYPE catalog_cache_admin_event_subscribers gauge\ncatalog_cache_admin_event_subscribers \(eventSubscribers.current)\n"
        out += "# HELP catalog_cache_admin_events_published_total Admin events published.\n# TYPE catalog_cache_admin_events_published_total counter\ncatalog_cache_admin_events_published_total \(eventsPublished.count)\n"
        out += "# HELP catalog_cache_admin_events_sent_total Admin events written to subscribers.\n# TYPE catalog_cache_admin_events_sent_total counter\ncatalog_cache_admin_events_sent_total \(eventsSent.count)\n"
        labeled(&out, "catalog_cache_admin_event_subscribers_dropped_total", "Admin event streams closed by the proxy, by reason.", eventSubscribersDropped, split: ("reason", nil))
        labeled(&out, "catalog_cache_admin_event_subscriptions_refused_total", "GET /admin/events answered without a stream, by status.", eventSubscriptionsRefused, split: ("status", nil))
        Histogram.render(&out, "catalog_cache_invalidated_to_event_seconds", "From the local drop to the admin event handed to the subscribers' connections.", invalidatedToEvent)
    }

    /// Labels `a:b` split into two label names when `split.1` is given.
    private func labeled(_ out: inout String, _ name: String, _ help: String, _ counter: LabeledCounter, split: (String, String?)) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
        for (value, n) in counter.snapshot.sorted(by: { $0.key < $1.key }) {
            if let second = split.1, let colon = value.lastIndex(of: ":") {
                out += "\(name){\(split.0)=\"\(value[..<colon])\",\(second)=\"\(value[value.index(after: colon)...])\"} \(n)\n"
            } else {
                out += "\(name){\(split.0)=\"\(value)\"} \(n)\n"
            }
        }
    }
}
