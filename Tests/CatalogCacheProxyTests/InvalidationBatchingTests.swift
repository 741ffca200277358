import CatalogCacheCore
import CatalogCacheProxy
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The notifications of one read of the feed are applied as one drop (up to its bound), and
/// the tokens among them are received after it.
@Suite struct InvalidationBatchingTests {
    /// Records what the applier tells its observers, in order, and how many tokens were still
    /// waiting at each drop.
    final class Recorder: InvalidationObserver {
        let log = Mutex<[String]>([])
        let tokens: WriteTokens?
        init(tokens: WriteTokens? = nil) { self.tokens = tokens }
        func dropped(tags: [String], keys: [String], all: Bool) {
            let waiting = tokens.map { " (\($0.pendingCount) waiting)" } ?? ""
            log.withLock { $0.append("drop \(tags.joined(separator: ","))\(all ? " all" : "")\(waiting)") }
        }
        func rowChanged(table: String, op: RowOperation, ids: [String]) {
            log.withLock { $0.append("row \(table) \(ids.joined(separator: ","))") }
        }
    }

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    func applier(tokens: WriteTokens, recorder: Recorder) throws -> (InvalidationApplier, ProxyMetrics) {
        let configuration = try ConfigurationLoader.load(path: ConfigurationLoaderTests.shippedConfig)
        let metrics = ProxyMetrics(routeNames: configuration.routes.map(\.name))
        let store = MemoryCacheStore(maxBytes: 1 << 20, clock: SystemClock())
        let applier = InvalidationApplier(configuration: configuration, store: store, gate: InvalidationGate(), metrics: metrics, tokens: tokens,
                                          clock: SystemClock(), loop: Self.group.next(), logger: Logger(label: "test"), observers: [recorder])
        return (applier, metrics)
    }

    func stock(_ id: String) -> String { #"{"table":"product","op":"UPDATE","ids":["\#(id)"],"columns":["stock"],"ts":1700000000000000}"# }

    @Test func oneReadIsOneDropAndItsTokensAreReceivedAfterIt() throws {
        let tokens = WriteTokens(instance: "t")
        let recorder = Recorder(tokens: tokens)
        let (applier, metrics) = try applier(tokens: tokens, recorder: recorder)
        let (first, firstConfirmed) = tokens.make(on: Self.group.next())
        let (second, secondConfirmed) = tokens.make(on: Self.group.next())
        applier.apply(payloads: [stock("p1"), stock("p2"), stock("p1"), #"{"token":"\#(first)"}"#, stock("p3"),
                                 #"{"token":"\#(second)"}"#, "not json"])
        #expect(recorder.log.withLock { $0 } == [
            "drop product:p1,product:p2,product:p3 (2 waiting)",
            "row product p1", "row product p2", "row product p1", "row product p3",
        ])
        try firstConfirmed.wait()
        try secondConfirmed.wait()
        #expect(tokens.pendingCount == 0)
        #expect(metrics.invalidationsMerged.count == 3)
        #expect(metrics.notificationsReceived.count == 7)
        #expect(metrics.notificationsMalformed.count == 1)
        #expect(metrics.commitToInvalidated.snapshot.count == 4)
        #expect(metrics.receivedToInvalidated.snapshot.count == 4)
    }

    @Test func aReadBeyondTheBoundIsSeveralDropsEachConfirmingTheTokensBeforeIt() throws {
        let tokens = WriteTokens(instance: "t")
        let recorder = Recorder(tokens: tokens)
        let (applier, _) = try applier(tokens: tokens, recorder: recorder)
        let (early, earlyConfirmed) = tokens.make(on: Self.group.next())
        let (late, lateConfirmed) = tokens.make(on: Self.group.next())
        let bound = InvalidationApplier.maxMergedDrops
        let payloads = (1..<bound).map { stock("a\($0)") } + [#"{"token":"\#(early)"}"#, stock("a0"), stock("b"), #"{"token":"\#(late)"}"#]
        applier.apply(payloads: payloads)
        let drops = recorder.log.withLock { $0 }.filter { $0.hasPrefix("drop ") }
        #expect(drops.count == 2)
        #expect(drops.first?.hasSuffix("(2 waiting)") == true && drops.last == "drop product:b (1 waiting)")
        try earlyConfirmed.wait()
        try lateConfirmed.wait()
    }

    @Test func aTableWideChangeMergesAsEverything() throws {
        let recorder = Recorder()
        let (applier, _) = try applier(tokens: WriteTokens(instance: "t"), recorder: recorder)
        applier.apply(payloads: [stock("p1"), #"{"table":"product","op":"UPDATE","ids":[]}"#])
        let log = recorder.log.withLock { $0 }
        #expect(log.count == 3)
        #expect(log.first?.hasSuffix(" all") == true)
        #expect(log.first?.contains("product:p1") == true)
    }

    @Test func theBatchKeepsFirstSeenOrderWithoutDuplicates() {
        var batch = InvalidationBatch()
        #expect(batch.isEmpty && !batch.dropsSomething)
        batch.addRow(tags: ["b", "a"], keys: ["k1"], all: false, commitTime: 5)
        batch.add(tags: ["a", "c"], keys: ["k1", "k2"], all: false)
        batch.addRow(tags: [], keys: [], all: false, commitTime: nil)
        #expect(batch.tags == ["b", "a", "c"])
        #expect(batch.keys == ["k1", "k2"])
        #expect(batch.rowCommitTimes == [5, nil])
        #expect(batch.drops == 3 && !batch.all)
        batch.changed(table: "t", op: .delete, ids: ["1"])
        #expect(batch.rows.count == 1)
    }
}
