import CatalogCacheCore

/// The structured sections: invalidation tables, routes, CDN purge targets, admin events.
/// Their item fields are `part`s: read by the section's reader, listed here for their keys,
/// ranges and docs.
extension ConfigurationSchema {
    /// How long a `mode: origin` route keeps an entry when it names no `ttl` (seconds).
    public static let originRouteDefaultTTL = 86_400
    /// The only fields a `mode: origin` route takes; the others are refused (the origin's headers decide).
    public static let originRouteKeys: Set = ["name", "path", "mode", "ttl", "tags", "entry_tags"]

    static let invalidation: [ConfigurationField] = [
        .section("invalidation", "The PostgreSQL `LISTEN` feed and what each table's changes drop."),
        .optionalText("invalidation.database_url", \.databaseURL, type: .url, unset: "unset: no feed, TTLs only", "`postgres://` URL (`--database-url`, `DATABASE_URL` win).") {
            ConfigurationValidation.databaseURLProblem($0)
        },
        .text("invalidation.channel", \.notifyChannel, "The `LISTEN` channel: an SQL identifier.") {
            ConfigurationValidation.isIdentifier($0) ? nil : "must be an SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)"
        },
        .stored(
            "invalidation.feed_down_max_age_s", .integer(0...31_536_000), \.feedDownMaxAgeSeconds, reload: .applied,
            "While the feed is down, entries at least this old (seconds) are refetched; unset: TTLs bound staleness; 0: no cached reads.",
            show: { $0.map(String.init) ?? "unset" }
        ) { r, node, field, c throws(ConfigurationError) in
            c.feedDownMaxAgeSeconds = try r.optionalString(node, field) == nil ? nil : try r.int(node, field, 0...31_536_000)
        },
        .stored(
            "invalidation.tables", .namedSections, \.tables, reload: .restart, default: "none",
            "Table name (an SQL identifier) to what its changes drop; re-run `install-triggers` after changing it.",
            show: { "\($0.count) tables" }
        ) { r, node, field, c throws(ConfigurationError) in c.tables = try r.tables(node, field) },
        .part("invalidation.tables.*.tags", .textList, reload: .restart, "Tags any change drops; `{id}` is the changed row's id. A table needs tags or keys."),
        .part("invalidation.tables.*.keys", .textList, reload: .restart, "Keys any change drops (`{id}` as in tags)."),
        .part("invalidation.tables.*.id_column", .text, default: "`id`", reload: .restart, "Column the trigger sends as `id`."),
        .part("invalidation.tables.*.id_query", .text, default: "unset", reload: .restart, "SQL turning the changed rows' `id_column` values (`$1`, text[]) into the ids `{id}` stands for."),
        .part("invalidation.tables.*.changes", .list, default: "none", reload: .restart, "Precise rules; a change no rule names uses the coarse tags and keys."),
        .part("invalidation.tables.*.changes[].columns", .textList, reload: .restart, "An UPDATE of any of these columns applies the rule."),
        .part("invalidation.tables.*.changes[].on", .textList, reload: .restart, "`INSERT` and/or `DELETE` apply the rule. A rule needs columns or on."),
        .part("invalidation.tables.*.changes[].tags", .textList, reload: .restart, "Tags dropped; one placeholder at most, `{id}` or `{column}` (each old and new value)."),
        .part("invalidation.tables.*.changes[].keys", .textList, reload: .restart, "Keys dropped, as tags."),
        .part("invalidation.tables.*.changes[].ranges", .section, reload: .restart, "Lists sorted by this column: only the pages between the old and the new value are dropped."),
        .part("invalidation.tables.*.changes[].ranges.column", .text, reload: .restart, required: true, "The sort column; must be NOT NULL, and text sorted in byte order (collation C or C.UTF-8) or an integer for `order: integer`, checked when the triggers are installed."),
        .part("invalidation.tables.*.changes[].ranges.order", .text, default: "`bytes`", reload: .restart, "`bytes` (text sorted in byte order) or `integer` (non-negative integers); the same as the route's."),
        .part("invalidation.tables.*.changes[].ranges.tags", .textList, reload: .restart, required: true, "Range scopes (`<route>:range:<key>:all`, `...:<filter>={column}`), each dropped with the places the change crosses."),
    ]

    static let routes: [ConfigurationField] = {
        let seconds = 1...RouteRule.maximumSeconds, window = 0...RouteRule.maximumSeconds
        let configuredOnly = " Configured routes only."
        return [
            ConfigurationField(
                "routes", .list, default: "required", reload: .applied, required: true,
                "Cacheable routes, matched in order on the normalised path; GET and HEAD only. At least one.",
                read: { r, node, _, c throws(ConfigurationError) in (c.routes, c.entryTagging) = try r.routesAndTagging(node) },
                render: { "\($0.routes.count) routes" },
                copy: { loaded, effective in
                    effective.routes = loaded.routes
                    effective.entryTagging = loaded.entryTagging
                },
                differs: { $0.routes != $1.routes || $0.entryTagging != $1.entryTagging }
            ),
            .part("routes[].name", .text, reload: .applied, required: true, "Unique name (metrics, reports)."),
            .part("routes[].path", .text, reload: .applied, required: true, "`/store/products/{id}`; a catch-all `/*` or `/static/*` covers the prefix and everything under it."),
            .part("routes[].mode", .oneOf(RouteMode.allCases.map(\.rawValue)), default: "`configured`", reload: .applied, "`origin`: the upstream's headers decide (RFC 9111) and the route takes only \(originRouteKeys.sorted().map { "`\($0)`" }.joined(separator: ", "))."),
            .part("routes[].key", .text, reload: .applied, required: true, "Key template: text, path placeholders and `{hash}` (the normalised request); may not start with \(RouteRule.reservedKeyNamespaces.map { "`\($0)`" }.joined(separator: ", "))." + configuredOnly),
            .part("routes[].ttl", .integer(seconds), default: "required (`mode: origin`: \(originRouteDefaultTTL))", reload: .applied, "Seconds an entry is fresh; for `mode: origin`, the longest it is kept."),
            .part("routes[].stale_while_revalidate", .integer(window), default: "`0`", reload: .applied, "Seconds past `ttl` a stale entry is served while it is refreshed." + configuredOnly),
            .part("routes[].stale_if_error", .integer(window), default: "`0`", reload: .applied, "Seconds past `ttl` a stale entry is served when the upstream fails." + configuredOnly),
            .part("routes[].vary", .textList, default: "none", reload: .applied, "Request headers whose values are part of `{hash}`." + configuredOnly),
            .part("routes[].tags", .textList, default: "none", reload: .applied, "Tags of every entry; path placeholders allowed."),
            .part("routes[].cacheable_statuses", .integerList(RouteRule.cacheableStatusRange), default: "`\(RouteRule.defaultCacheableStatuses.sorted())`", reload: .applied, "Response statuses stored." + configuredOnly),
            .part("routes[].public", .boolean, default: "`false`", reload: .applied, "Requests with `Authorization` or cookies are still served from cache." + configuredOnly),
            .part("routes[].cache_control", .text, default: "`public, max-age=<ttl>, stale-while-revalidate=<swr>`", reload: .applied, "`Cache-Control` sent instead of the computed one." + configuredOnly),
            .part("routes[].query", .section, default: "every parameter", reload: .applied, "Which query parameters are keyed and forwarded: exactly one of `allow` or `ignore`." + configuredOnly),
            .part("routes[].query.allow", .textList, reload: .applied, "Only these names (or `prefix*`)."),
            .part("routes[].query.ignore", .textList, reload: .applied, "All but these names (or `prefix*`); at least one."),
            .part("routes[].entry_tags", .section, default: "none", reload: .applied, "What the route's entries hold, for precise invalidation; dimension tags start with the route's name."),
            .part("routes[].entry_tags.ids", .list, reload: .applied, "Rows of the body whose ids tag the entry."),
            .part("routes[].entry_tags.ids[].member", .text, reload: .applied, required: true, "Top-level member holding the rows."),
            .part("routes[].entry_tags.ids[].field", .text, default: "`id`", reload: .applied, "Field of each row holding its id."),
            .part("routes[].entry_tags.ids[].tag", .text, reload: .applied, required: true, "Tag template; must contain `{id}`."),
            .part("routes[].entry_tags.filters", .textList, reload: .applied, "Query parameters that filter membership (`<route>:where:<name>=<value>`)."),
            .part("routes[].entry_tags.sort", .section, reload: .applied, "The sort parameter and its keys (`<route>:sort:<key>`)."),
            .part("routes[].entry_tags.sort.parameter", .text, reload: .applied, "Its name."),
            .part("routes[].entry_tags.sort.keys", .textList, reload: .applied, "Values it takes."),
            .part("routes[].entry_tags.sort.default", .text, reload: .applied, "Key used when absent; one of `keys`."),
            .part("routes[].entry_tags.sort.not_placed_with", .textList, reload: .applied, "Filters (such as `id`) whose lists keep `<route>:sort:<key>:<filter>=<value>` instead of being placed: the change of a row they name drops them, and places would leave a mark per row."),
            .part("routes[].entry_tags.sort.ranges", .section, reload: .applied, "Sort key to the row field holding its value (rows of the first `ids` member), or to `{field, order}` (`order`: `bytes`, the default, or `integer`): such lists are tagged with their place on that order (`<route>:range:<key>:<scope>@...`) instead of `<route>:sort:<key>:<scope>`."),
            .part("routes[].entry_tags.search", .textList, reload: .applied, "Search parameters (`<route>:search`)."),
            .part("routes[].entry_tags.paging", .textList, reload: .applied, "Paging parameters (no tag of their own)."),
            .part("routes[].entry_tags.ignored", .textList, reload: .applied, "Parameters that change nothing the tags track."),
            .part("routes[].entry_tags.count", .text, reload: .applied, "Body member holding the total (`<route>:count`)."),
        ]
    }()

    static let edge: [ConfigurationField] = [
        .section("cdn", "Edges purged after every applied invalidation, batched and retried.") { r, node, c throws(ConfigurationError) in
            if c.purge.maxBackoffMilliseconds < c.purge.initialBackoffMilliseconds {
                throw r.fail(node, "cdn.max_backoff_ms", "must be at least initial_backoff_ms (\(c.purge.initialBackoffMilliseconds))")
            }
        },
        .integer("cdn.window_ms", \.purge.windowMilliseconds, 0...60_000, "Tags of one window go out in one request, de-duplicated."),
        .integer("cdn.max_pending_tags", \.purge.maxPendingTags, 1...10_000_000, "Beyond it the queue falls back to purging every fixed tag."),
        .integer("cdn.max_attempts", \.purge.maxAttempts, 1...1000, "A batch is retried with doubling backoff, then given up (counted)."),
        .integer("cdn.initial_backoff_ms", \.purge.initialBackoffMilliseconds, 1...600_000, "First retry delay."),
        .integer("cdn.max_backoff_ms", \.purge.maxBackoffMilliseconds, 1...3_600_000, "Longest retry delay; at least `initial_backoff_ms`."),
        .stored("cdn.targets", .list, \.purge.targets, reload: .restart, default: "none", "The edges.", show: { $0.isEmpty ? "none" : $0.map(\.name).joined(separator: ", ") }) { r, node, field, c throws(ConfigurationError) in
            c.purge.targets = try r.purgeTargets(node, field)
        },
        .part("cdn.targets[].kind", .oneOf(PurgeProviderKind.allCases.map(\.rawValue)), reload: .restart, required: true, "The edge's purge API."),
        .part("cdn.targets[].name", .text, default: "the kind", reload: .restart, "Unique; 1 to 64 letters, digits, `-` or `_`."),
        .part("cdn.targets[].url", .url, default: "the provider's API (fastly, cloudflare); required otherwise", reload: .restart, "Base URL: the Varnish listener, the purge endpoint or the API."),
        .part("cdn.targets[].service_id", .text, reload: .restart, "Fastly's service id (required for fastly)."),
        .part("cdn.targets[].zone_id", .text, reload: .restart, "Cloudflare's zone id (required for cloudflare)."),
        .part("cdn.targets[].token", .text, reload: .restart, secret: true, "API token (prefer `token_env`)."),
        .part("cdn.targets[].token_env", .text, reload: .restart, "Environment variable holding the token, read at start; fastly and cloudflare need it or `token`."),
        .part("cdn.targets[].soft", .boolean, default: "`false`", reload: .restart, "Soft purge (mark stale); fastly and varnish only."),
        .part("cdn.targets[].header", .text, default: "`Surrogate-Key`", reload: .restart, "Header carrying the tags; http targets only."),
        .part(
            "cdn.targets[].max_tags_per_request", .integer(1...PurgeProviderKind.allCases.map(\.defaultMaxTagsPerRequest).max()!), default: "the kind's limit", reload: .restart,
            "Tags per purge request, at most the kind's limit (\(PurgeProviderKind.allCases.map { "\($0.rawValue) \($0.defaultMaxTagsPerRequest)" }.joined(separator: ", ")))."
        ),
        .part("cdn.targets[].timeout_ms", .integer(1...600_000), default: "`\(PurgeTargetConfiguration(name: "", kind: .http, url: "").timeoutMilliseconds)`", reload: .restart, "Per purge request."),
        .section("admin_events", "`GET /admin/events` (server-sent events) on the proxy port."),
        .boolean("admin_events.enabled", \.adminEvents.enabled, "Serve the stream (and watch `tables` with `install-triggers`)."),
        .text("admin_events.authorization_path", \.adminEvents.authorizationPath, "Upstream path asked, with the subscriber's credentials, whether it is an admin (2xx: yes).") { path in
            path.hasPrefix("/") && !path.contains(where: { $0.isWhitespace }) ? nil : "must be a path starting with /"
        },
        .integer("admin_events.recheck_s", \.adminEvents.recheckSeconds, 1...86_400, "How often an open stream's credentials are checked again."),
        .integer("admin_events.heartbeat_s", \.adminEvents.heartbeatSeconds, 1...3_600, "Seconds between heartbeat comments on each open stream."),
        .integer("admin_events.max_subscribers", \.adminEvents.maxSubscribers, 1...100_000, "Open streams at most."),
        .integer("admin_events.subscriber_buffer_events", \.adminEvents.subscriberBufferEvents, 1...100_000, "Events not yet taken by a subscriber's socket; beyond it the subscriber is dropped."),
        .integer("admin_events.replay_events", \.adminEvents.replayEvents, 0...1_000_000, "Recent events kept for `Last-Event-ID`."),
        .stored(
            "admin_events.tables", .textMap, \.adminEvents.tables, reload: .restart, "Table name to event name; tables not named send no event.",
            show: { $0.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
        ) { r, node, field, c throws(ConfigurationError) in c.adminEvents.tables = try r.eventTables(node, field) },
    ]
}
