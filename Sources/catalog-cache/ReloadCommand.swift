import ArgumentParser
import CatalogCacheProxy
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `catalog-cache reload`: the same as SIGHUP to the serving process. Through the admin port
/// (the default) it waits for the outcome and exits 1 when the file was refused; with `--pid`
/// it only sends SIGHUP (the outcome is in the proxy's log and its
/// `catalog_cache_config_reloads_total` metric).
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reload a running proxy's configuration (same as SIGHUP).",
        discussion: "Without options, asks the admin port named by the configuration's admin_listen."
    )

    @OptionGroup var options: ConfigOptions
    @Option(help: "Send SIGHUP to this process id instead of asking the admin port.") var pid: Int32?
    @Option(name: .long, help: "The proxy's admin URL (default: http://<admin_listen> of --config).") var admin: String?
    @Option(help: "Seconds to wait for the admin port.") var timeout: Double = 10

    func validate() throws {
        if pid != nil && admin != nil { throw ValidationError("give --pid or --admin, not both") }
        if let pid, pid <= 0 { throw ValidationError("--pid must be a process id") }
        if let admin { _ = try AdminAddress(admin) }
    }

    func run() throws {
        if let pid {
            guard kill(pid, SIGHUP) == 0 else { fail("cannot signal process \(pid): \(String(cString: strerror(errno)))") }
            print("sent SIGHUP to \(pid)")
            return
        }
        let url = admin ?? "http://\(resolveOrFail(options, ConfigurationOverrides()).adminListen)"
        let address = try AdminAddress(url)
        do {
            let body = try address.fetch(path: "/reload", timeout: timeout, method: "POST")
            print(String(decoding: body, as: UTF8.self))
        } catch {
            fail("reload through \(address) failed: \(error)")
        }
    }
}
