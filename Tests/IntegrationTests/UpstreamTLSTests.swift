import CatalogCacheProxy
import CatalogHTTP
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

/// `https://` upstreams through swift-nio-ssl: verified by default, with a CA file, a server
/// name and a client certificate. The certificates are made with openssl for each run.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct UpstreamTLSTests {
    /// A CA, a server certificate for `origin.test`, localhost and 127.0.0.1, and a client
    /// certificate, all signed by the CA, in a directory of their own.
    struct Certificates {
        let dir: String
        var ca: String { dir + "/ca.pem" }
        var serverCertificate: String { dir + "/server.pem" }
        var serverKey: String { dir + "/server.key" }
        var clientCertificate: String { dir + "/client.pem" }
        var clientKey: String { dir + "/client.key" }
        /// For `origin.test` only, without an IP address: swift-nio-ssl accepts a certificate
        /// whose IP SAN matches the connected address whatever the server name, so a name
        /// mismatch shows only with a certificate that has no IP SAN.
        var namedCertificate: String { dir + "/named.pem" }
        var namedKey: String { dir + "/named.key" }

        static func make() throws -> Certificates {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cc-tls-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let script = """
            set -e
            cd '\(dir)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=catalog-cache test CA' \
              -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=origin.test' 2>/dev/null
            printf 'subjectAltName=DNS:origin.test,DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout named.key -out named.csr -subj '/CN=origin.test' 2>/dev/null
            printf 'subjectAltName=DNS:origin.test\\nextendedKeyUsage=serverAuth\\n' > named.ext
            openssl x509 -req -in named.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out named.pem -days 2 -extfile named.ext 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj '/CN=catalog-cache' 2>/dev/null
            printf 'extendedKeyUsage=clientAuth\\n' > client.ext
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext 2>/dev/null
            """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw TLSSetupFailed(description: "openssl exited \(process.terminationStatus)") }
            return Certificates(dir: dir)
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    struct TLSSetupFailed: Error, CustomStringConvertible { var description: String }

    /// An HTTPS server answering every GET with `{"hero_banners":[{"title":"over tls <n>"}]}`;
    /// with `requireClientCertificate`, only to clients with a certificate the CA signed.
    final class TLSOrigin: Sendable {
        let channel: Channel
        var port: Int { channel.localAddress!.port! }

        init(certificates: Certificates, requireClientCertificate: Bool = false, nameOnly: Bool = false) async throws {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(nameOnly ? certificates.namedCertificate : certificates.serverCertificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: nameOnly ? certificates.namedKey : certificates.serverKey, format: .pem))
            )
            if requireClientCertificate {
                tls.certificateVerification = .noHostnameVerification
                tls.trustRoots = .file(certificates.ca)
            }
            let context = try NIOSSLContext(configuration: tls)
            channel = try await ServerBootstrap(group: TestServices.group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Responder())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        func stop() async { try? await channel.close().get() }

        final class Responder: ChannelInboundHandler {
            typealias InboundIn = HTTPServerRequestPart
            typealias OutboundOut = HTTPServerResponsePart
            nonisolated(unsafe) static var served = 0
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                guard case .end = unwrapInboundIn(data) else { return }
                Self.served += 1
                let body = ByteBuffer(string: "{\"hero_banners\":[{\"title\":\"over tls \(Self.served)\"}]}")
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(body.readableBytes)")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    func proxy(_ stack: Stack, url: String, _ tls: UpstreamTLS.Options) async throws -> RunningProxy {
        var configuration = try stack.configuration(feed: false)
        configuration.upstreamURL = url
        configuration.upstreamTLS = tls
        return try await stack.startProxy(configuration)
    }

    @Test func anHTTPSUpstreamIsServedAndCachedWhenItsCertificateVerifies() async throws {
        let certificates = try Certificates.make()
        defer { certificates.remove() }
        let origin = try await TLSOrigin(certificates: certificates)
        let named = try await TLSOrigin(certificates: certificates, nameOnly: true)
        try await withStack(triggers: false) { stack in
            // By IP (the certificate's IP SAN), by host name, and by a name of its own.
            for (url, name) in [("https://127.0.0.1:\(origin.port)", nil), ("https://localhost:\(origin.port)", nil), ("https://127.0.0.1:\(named.port)", "origin.test")] {
                let proxy = try await proxy(stack, url: url, UpstreamTLS.Options(caFile: certificates.ca, serverName: name))
                let miss = try await proxy.get("/store/hero-banners")
                #expect(miss.head.status == .ok && miss.text.contains("over tls"), "\(url): \(miss.text)")
                #expect(miss.xCache == "MISS")
                #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
                try await stack.redis.send(.init("DEL", "\(stack.keyPrefix)hero_banners:active"), on: TestServices.group.next()).get()
            }
        }
        await origin.stop()
        await named.stop()
    }

    @Test func verificationIsOnByDefaultAndAWrongNameIsRefused() async throws {
        let certificates = try Certificates.make()
        defer { certificates.remove() }
        let origin = try await TLSOrigin(certificates: certificates)
        let named = try await TLSOrigin(certificates: certificates, nameOnly: true)
        try await withStack(triggers: false) { stack in
            // No CA file: the system's trust store does not know the test CA.
            let untrusted = try await proxy(stack, url: "https://127.0.0.1:\(origin.port)", UpstreamTLS.Options())
            let refused = try await untrusted.get("/store/hero-banners")
            #expect(refused.head.status == .badGateway, "\(refused.text)")
            // Trusted CA, but the certificate is not for this name.
            let wrongName = try await proxy(stack, url: "https://127.0.0.1:\(named.port)", UpstreamTLS.Options(caFile: certificates.ca, serverName: "shop.example"))
            let mismatch = try await wrongName.get("/store/regions")
            #expect(mismatch.head.status == .badGateway, "\(mismatch.head.status) \(mismatch.text)")
            // The certificate's name by IP without tls_server_name: no name to match either.
            let byIP = try await proxy(stack, url: "https://127.0.0.1:\(named.port)", UpstreamTLS.Options(caFile: certificates.ca))
            #expect(try await byIP.get("/store/collections").head.status == .badGateway)
        }
        await origin.stop()
        await named.stop()
    }

    @Test func aClientCertificateIsPresentedWhenConfigured() async throws {
        let certificates = try Certificates.make()
        defer { certificates.remove() }
        let origin = try await TLSOrigin(certificates: certificates, requireClientCertificate: true)
        try await withStack(triggers: false) { stack in
            let anonymous = try await proxy(stack, url: "https://127.0.0.1:\(origin.port)", UpstreamTLS.Options(caFile: certificates.ca))
            #expect(try await anonymous.get("/store/hero-banners").head.status == .badGateway)
            let mutual = try await proxy(stack, url: "https://127.0.0.1:\(origin.port)", UpstreamTLS.Options(caFile: certificates.ca, clientCertificateFile: certificates.clientCertificate, clientKeyFile: certificates.clientKey))
            let r = try await mutual.get("/store/regions")
            #expect(r.head.status == .ok && r.text.contains("over tls"), "\(r.text)")
        }
        await origin.stop()
    }

    @Test func badTLSFilesStopStartUpNamingTheFile() async throws {
        try await withStack(triggers: false) { stack in
            var configuration = try stack.configuration(feed: false)
            configuration.upstreamURL = "https://127.0.0.1:1"
            configuration.upstreamTLS = UpstreamTLS.Options(caFile: "/nonexistent/ca.pem")
            await #expect(throws: UpstreamTLS.SetupError.self) { _ = try await stack.startProxy(configuration) }
            configuration.upstreamTLS = UpstreamTLS.Options(clientCertificateFile: "/x.pem")
            await #expect(throws: UpstreamTLS.SetupError.self) { _ = try await stack.startProxy(configuration) }
        }
    }
}
