import CatalogTestSupport
import Foundation
import Testing

@testable import CatalogCacheProxy

/// The shared seeded generator (SplitMix64), so every fuzz run is reproducible from its seed.
typealias SplitMix64 = SeededGenerator

/// Property: for any text, `ConfigurationLoader.parse(yaml:)` returns or throws a
/// `ConfigurationError` (the signature's typed throw); it never traps and never hangs, and
/// whatever it accepts satisfies the configuration's invariants.
@Suite struct ConfigurationFuzzTests {
    static let executions = 20_000
    static let seed: UInt64 = 0xC0FF_EE15_600D_CAFE
    static let shipped = try! String(contentsOfFile: ConfigurationLoaderTests.shippedConfig, encoding: .utf8)

    /// Field names the loader knows, so generated documents get past the "unknown field" check.
    static let keys = [
        "listen", "admin_listen", "upstream", "store", "compression", "limits", "invalidation", "routes", "url",
        "connect_timeout_ms", "read_timeout_ms", "total_timeout_ms", "max_connections_per_loop", "max_background_refreshes", "max_queued_refreshes", "redis_url", "key_prefix",
        "memory_max_bytes", "redis_timeout_ms", "circuit_breaker_failures", "circuit_breaker_cooldown_ms", "threshold_bytes",
        "level", "max_request_body_bytes", "max_cached_object_bytes", "max_connections", "idle_timeout_ms", "header_timeout_ms",
        "body_timeout_ms", "shutdown_grace_ms", "database_url", "channel", "tables", "tags", "keys", "id_column", "name", "path",
        "key", "ttl", "stale_while_revalidate", "stale_if_error", "vary", "cacheable_statuses", "public", "cache_control", "product",
    ]
    static let scalars = [
        "0", "-1", "1", "65535", "65536", "2147483648", "9223372036854775807", "9223372036854775808", "1e9", "0x10", "0o7", ".inf",
        "-.inf", ".nan", "true", "false", "yes", "no", "on", "null", "~", "''", "\"\"", "127.0.0.1:8080", "[::1]:0", ":80", "host:",
        "http://127.0.0.1:9000", "https://x", "ftp://x", "redis://127.0.0.1:6379", "postgres://u@h/d", "/store/products/{id}",
        "/store/{id}/{id}", "/{", "products:{hash}", "product:{id}:{hash}", "{nope}", "x-publishable-api-key", "bad header",
        "\"\\u0000\"", "\"\\uD800\"", "'quoted ''twice'''", "!!binary aGVsbG8=", "!!int 12", "!!str 12", "!custom x", "2001-12-14",
        "é", "日本", "\"\\xff\"", "- x", "&a 1", "*a", "|", ">", "#", "%YAML 1.2", "---", "...", "? k", "{a: 1}", "[1, 2]",
    ]
    static let noise: [String] = [
        ":", "-", " ", "  ", "\t", "\n", "\r\n", "[", "]", "{", "}", ",", "&a", "*a", "!", "!!", "|", ">", "#", "'", "\"", "%",
        "@", "`", "?", "\u{0}", "\u{1b}", "\u{feff}", "\u{85}", "\u{2028}", "é", "\\", "<<: *a", "---\n", "...\n",
    ]

    static func pick<T>(_ items: [T], _ g: inout SplitMix64) -> T { items[Int.random(in: 0..<items.count, using: &g)] }

    /// A random document built from known field names and awkward scalars.
    static func generated(_ g: inout SplitMix64, depth: Int = 0) -> String {
        let indent = String(repeating: "  ", count: depth)
        var out = ""
        let entries = Int.random(in: 1...(depth == 0 ? 8 : 4), using: &g)
        for _ in 0..<entries {
            let key = Int.random(in: 0..<20, using: &g) == 0 ? pick(scalars, &g) : pick(keys, &g)
            switch Int.random(in: 0..<10, using: &g) {
            case 0...4:
                out += "\(indent)\(key): \(pick(scalars, &g))\n"
            case 5...6 where depth < 6:
                out += "\(indent)\(key):\n" + generated(&g, depth: depth + 1)
            case 7 where depth < 6:
                out += "\(indent)\(key):\n"
                for _ in 0..<Int.random(in: 0...3, using: &g) {
                    if Bool.random(using: &g) {
                        out += "\(indent)  - \(pick(scalars, &g))\n"
                    } else {
                        // A mapping as a list item: its first line carries the dash.
                        let lines = generated(&g, depth: depth + 2).split(separator: "\n", omittingEmptySubsequences: false)
                        out += "\(indent)  - \(lines[0].drop { $0 == " " })\n" + lines.dropFirst().joined(separator: "\n")
                    }
                }
            case 8:
                out += "\(indent)\(key): [\((0..<Int.random(in: 0...4, using: &g)).map { _ in pick(scalars, &g) }.joined(separator: ", "))]\n"
            default:
                out += "\(indent)\(key): {\(pick(keys, &g)): \(pick(scalars, &g))}\n"
            }
        }
        return out
    }

    /// The shipped file (or a generated one) with a few random edits.
    static func mutated(_ base: String, _ g: inout SplitMix64) -> String {
        var bytes = Array(base.utf8)
        for _ in 0..<Int.random(in: 1...8, using: &g) {
            guard !bytes.isEmpty else { bytes = Array(pick(noise, &g).utf8); continue }
            let at = Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<7, using: &g) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &g)
            case 1: bytes.insert(contentsOf: Array(pick(noise, &g).utf8), at: at)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &g)))
            case 3: bytes.removeSubrange(at...)  // truncation
            case 4:
                let line = pick(base.split(separator: "\n", omittingEmptySubsequences: false), &g)
                bytes.insert(contentsOf: Array((line + "\n").utf8), at: at)
            case 5: bytes.insert(contentsOf: Array(pick(scalars, &g).utf8), at: at)
            default:
                // Re-indent: shift the rest of a line by one space (YAML's structure is its indentation).
                bytes.insert(32, at: at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Inputs chosen by hand: alias bombs, deep nesting, huge scalars, odd encodings.
    static let handPicked: [String] = {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { bomb += "l\(i): &l\(i) [\(Array(repeating: i == 1 ? "*a" : "*l\(i - 1)", count: 10).joined(separator: ", "))]\n" }
        return [
            "", " ", "\n", "---", "...", "~", "null", "[]", "{}", "- 1", "routes:", "routes: []", "routes: {}", "routes: 1",
            bomb, "routes: *undefined", "<<: *a", "a: &a b\nroutes: *a",
            String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
            String(repeating: "- ", count: 500) + "x",
            "routes:\n  - name: " + String(repeating: "n", count: 1 << 16),
            "\u{feff}routes: []", "routes: [\u{0}]", "%YAML 9.9\n---\nroutes: []", "%TAG ! tag:x,2000:\n---\nroutes: []",
            shipped + "\n---\n" + shipped, shipped.replacingOccurrences(of: "\n", with: "\r\n"),
            shipped.replacingOccurrences(of: "  ", with: "\t"), shipped + "\nroutes: []\n", shipped + "\nlimits: {}\n",
        ]
    }()

    /// Parses `yaml`: whether the outcome is clean, and whether it was accepted.
    static func check(_ yaml: String) -> (clean: Bool, accepted: Bool) {
        do {
            let c = try ConfigurationLoader.parse(yaml: yaml, file: "fuzz.yaml")
            // Accepted: the invariants a validated configuration promises.
            let ok = !c.routes.isEmpty && c.maxConnections >= 1 && c.headerTimeoutMilliseconds >= 1 && c.circuitBreakerFailures >= 1
                && (0...65535).contains(c.listen.port) && (1...9).contains(c.compressionLevel)
            return (ok, true)
        } catch {
            // Typed throws: `error` is a ConfigurationError; it must say where and what.
            return (!error.message.isEmpty && error.description.hasPrefix("fuzz.yaml"), false)
        }
    }

    @Test func handPickedHostileDocumentsAreRejectedOrAcceptedCleanly() {
        for yaml in Self.handPicked { #expect(Self.check(yaml).clean, "\(yaml.prefix(80).debugDescription)") }
    }

    @Test func generatedAndMutatedDocumentsNeverCrashAndFailOnlyWithConfigurationError() {
        var g = SplitMix64(seed: Self.seed)
        var accepted = 0
        var failures: [String] = []
        for i in 0..<Self.executions {
            let yaml: String
            switch i % 4 {
            case 0: yaml = Self.generated(&g)
            case 1: yaml = Self.mutated(Self.generated(&g), &g)
            default: yaml = Self.mutated(Self.shipped, &g)
            }
            let outcome = Self.check(yaml)
            if outcome.accepted { accepted += 1 }
            if !outcome.clean, failures.count < 5 { failures.append(yaml) }
        }
        #expect(failures.isEmpty, "\(failures.map { $0.prefix(200).debugDescription })")
        // The mutations must not all be trivially broken: some mutated shipped files still load.
        #expect(accepted > 0)
    }
}
