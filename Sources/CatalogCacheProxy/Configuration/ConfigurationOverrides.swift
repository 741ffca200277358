/// Applies the environment and the command-line flags over the file: flags win over the
/// environment, the environment over the file.
public struct ConfigurationOverrides: Sendable {
    public var listen: String?
    public var adminListen: String?
    public var upstream: String?
    public var redis: String?
    public var databaseURL: String?
    /// The admin port's bearer token (`CACHE_ADMIN_TOKEN`; environment only, never a flag,
    /// so it does not show in the process list).
    public var adminToken: String?

    public init(listen: String? = nil, adminListen: String? = nil, upstream: String? = nil, redis: String? = nil, databaseURL: String? = nil) {
        self.listen = listen
        self.adminListen = adminListen
        self.upstream = upstream
        self.redis = redis
        self.databaseURL = databaseURL
    }

    /// Environment variables the proxy reads: `UPSTREAM_URL`, `CACHE_REDIS_URL`, `DATABASE_URL`.
    public static func environment(_ env: [String: String]) -> ConfigurationOverrides {
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        var overrides = ConfigurationOverrides(upstream: value("UPSTREAM_URL"), redis: value("CACHE_REDIS_URL"), databaseURL: value("DATABASE_URL"))
        overrides.adminToken = value("CACHE_ADMIN_TOKEN")
        return overrides
    }

    /// Applies these overrides; `source` names them in errors ("--upstream", "UPSTREAM_URL").
    public func apply(to configuration: inout ProxyConfiguration, flags: Bool) throws(ConfigurationError) {
        func name(_ flag: String, _ env: String) -> String { flags ? flag : env }
        if let listen {
            guard let address = ListenAddress.parse(listen) else {
                throw ConfigurationError(field: "--listen", message: "must be HOST:PORT, got \"\(listen)\"")
            }
            configuration.listen = address
        }
        if let adminListen {
            guard let address = ListenAddress.parse(adminListen) else {
                throw ConfigurationError(field: "--admin-listen", message: "must be HOST:PORT, got \"\(adminListen)\"")
            }
            configuration.adminListen = address
        }
        if let upstream {
            if let problem = ConfigurationValidation.upstreamURLProblem(upstream) {
                throw ConfigurationError(field: name("--upstream", "UPSTREAM_URL"), message: problem)
            }
            configuration.upstreamURL = upstream
        }
        if let redis {
            if let problem = ConfigurationValidation.redisURLProblem(redis) {
                throw ConfigurationError(field: name("--redis", "CACHE_REDIS_URL"), message: problem)
            }
            configuration.redisURL = redis
        }
        if let databaseURL {
            if let problem = ConfigurationValidation.databaseURLProblem(databaseURL) {
                throw ConfigurationError(field: name("--database-url", "DATABASE_URL"), message: problem)
            }
            configuration.databaseURL = databaseURL
        }
        if let adminToken { configuration.adminToken = adminToken }
    }

    /// The effective configuration: file (or defaults when `path` is nil and the default
    /// file is absent), then environment, then flags.
    public static func resolve(path: String, environment env: [String: String], flags: ConfigurationOverrides) throws(ConfigurationError) -> ProxyConfiguration {
        var configuration = try ConfigurationLoader.load(path: path)
        try environment(env).apply(to: &configuration, flags: false)
        try flags.apply(to: &configuration, flags: true)
        if configuration.listen == configuration.adminListen && configuration.listen.port != 0 {
            throw ConfigurationError(field: "--admin-listen", message: "must differ from the proxy address \(configuration.listen)")
        }
        if let problem = configuration.adminExposureProblem {
            throw ConfigurationError(field: "admin.token", message: problem)
        }
        return configuration
    }
}
