import CatalogHTTP
import NIOCore
import NIOSSL

/// TLS to an `https://` upstream, always verified: the certificate chain against the system's
/// trust store or `upstream.tls_ca_file`, and the name against `upstream.tls_server_name`
/// (default: the URL's host; for an IP address, the certificate's IP SAN). Optionally a client
/// certificate (`tls_client_certificate_file` + `tls_client_key_file`) for mutual TLS.
///
/// One `NIOSSLContext` per pool (loading the files once, at start, where a bad file stops
/// start-up with its name); one client handler per connection.
public struct UpstreamTLS: Sendable {
    public struct Options: Sendable, Equatable {
        public var caFile: String?
        public var serverName: String?
        public var clientCertificateFile: String?
        public var clientKeyFile: String?

        public init(caFile: String? = nil, serverName: String? = nil, clientCertificateFile: String? = nil, clientKeyFile: String? = nil) {
            self.caFile = caFile
            self.serverName = serverName
            self.clientCertificateFile = clientCertificateFile
            self.clientKeyFile = clientKeyFile
        }
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    let context: NIOSSLContext
    /// The SNI and verified name; nil for an IP address (then the IP SAN is verified).
    let serverName: String?

    public init(options: Options, host: String) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caFile = options.caFile {
            tls.trustRoots = .file(caFile)
            // Loaded now so a missing or malformed file is an error at start, not per connection.
            do { _ = try NIOSSLCertificate.fromPEMFile(caFile) } catch { throw SetupError(description: "upstream.tls_ca_file \(caFile): \(error)") }
        }
        switch (options.clientCertificateFile, options.clientKeyFile) {
        case (let certificate?, let key?):
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            } catch {
                throw SetupError(description: "upstream.tls_client_certificate_file \(certificate): \(error)")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw SetupError(description: "upstream.tls_client_key_file \(key): \(error)")
            }
        case (nil, nil):
            break
        default:
            throw SetupError(description: "upstream.tls_client_certificate_file and upstream.tls_client_key_file go together")
        }
        do {
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw SetupError(description: "upstream TLS: \(error)")
        }
        let name = options.serverName ?? host
        serverName = Self.isIPAddress(name) ? nil : name
    }

    /// Adds the client handler first in a new upstream connection's pipeline.
    public func setUp(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
