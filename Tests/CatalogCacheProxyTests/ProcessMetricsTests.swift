import Foundation
import Testing

@testable import CatalogCacheProxy

@Suite struct ProcessMetricsTests {
    @Test func processFamiliesComeFromProcSelf() throws {
        let s = ProcessMetrics.sample()
        #expect((s.residentBytes ?? 0) > 1 << 20)
        #expect((s.virtualBytes ?? 0) >= (s.residentBytes ?? 0))
        #expect((s.openFileDescriptors ?? 0) >= 3)
        #expect((s.maxFileDescriptors ?? 0) >= (s.openFileDescriptors ?? 0))
        #expect((s.cpuSeconds ?? -1) >= 0)
        let start = try #require(s.startTimeSeconds)
        let now = Date().timeIntervalSince1970
        #expect(start <= now + 1 && start > now - 86_400 * 365)
    }

    @Test func renderHasBuildInfoProcessAndByteFamilies() {
        let metrics = ProxyMetrics(routeNames: ["r"])
        metrics.clientBytesReceived.increment(by: 12)
        let text = metrics.render()
        #expect(text.contains("catalog_cache_build_info{version=\"\(BuildInfo.version)\",commit=\"\(BuildInfo.commit)\"} 1\n"))
        #expect(text.contains("catalog_cache_client_bytes_received_total 12\n"))
        for family in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds", "catalog_cache_config_generation"] {
            #expect(text.contains("# TYPE \(family) "), "\(family)")
        }
    }
}
