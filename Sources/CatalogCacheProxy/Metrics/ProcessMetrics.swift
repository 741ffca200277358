import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The standard Prometheus process metrics, read from `/proc/self` at scrape time (Linux):
/// resident and virtual memory, CPU seconds, open and maximum descriptors, start time. Off
/// the request path entirely; on a system without `/proc` only the start time is reported.
enum ProcessMetrics {
    struct Sample: Equatable {
        var residentBytes: Int?
        var virtualBytes: Int?
        var cpuSeconds: Double?
        var openFileDescriptors: Int?
        var maxFileDescriptors: Int?
        var startTimeSeconds: Double?
    }

    static func sample() -> Sample {
        var s = Sample()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            // Fields after the command name, numbered from 3 (state) as in proc(5).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            func field(_ n: Int) -> Double? { n - 3 < fields.count ? Double(fields[n - 3]) : nil }
            if let utime = field(14), let stime = field(15), ticks > 0 { s.cpuSeconds = (utime + stime) / ticks }
            if let vsize = field(23) { s.virtualBytes = Int(vsize) }
            if let rss = field(24), pageSize > 0 { s.residentBytes = Int(rss) * pageSize }
            if let start = field(22), ticks > 0, let boot = bootTime() { s.startTimeSeconds = boot + start / ticks }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") { s.openFileDescriptors = max(0, fds.count - 1) }  // minus the listing's own
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { s.maxFileDescriptors = Int(clamping: limit.rlim_cur) }
        return s
    }

    /// `btime` of /proc/stat: the boot time in seconds since the epoch.
    static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    /// The families in Prometheus text format; `fallbackStart` when `/proc` gives no start time.
    static func render(into out: inout String, fallbackStart: Double) {
        let s = sample()
        func gauge(_ name: String, _ help: String, _ type: String, _ value: String?) {
            guard let value else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        gauge("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", "counter", s.cpuSeconds.map { "\($0)" })
        gauge("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", s.residentBytes.map(String.init))
        gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", s.virtualBytes.map(String.init))
        gauge("process_open_fds", "Open file descriptors.", "gauge", s.openFileDescriptors.map(String.init))
        gauge("process_max_fds", "Maximum open file descriptors (RLIMIT_NOFILE).", "gauge", s.maxFileDescriptors.map(String.init))
        gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", "gauge", "\(s.startTimeSeconds ?? fallbackStart)")
    }
}
