import Yams

/// What a configuration field holds, as the reference names it.
public enum ConfigurationValueType: Sendable, Equatable {
    /// A whole number within the range (the loader refuses anything outside it).
    case integer(ClosedRange<Int>)
    case boolean
    /// Free text; the field's own check (if any) is described in its doc.
    case text
    /// `HOST:PORT`, `[V6]:PORT`.
    case address
    /// A URL of the schemes the doc names.
    case url
    case textList
    /// A list of whole numbers, each within the range.
    case integerList(ClosedRange<Int>)
    /// One of these words.
    case oneOf([String])
    /// A mapping of the fields below it.
    case section
    /// A list of mappings of the fields below it (`routes[]`).
    case list
    /// A mapping from names the user chooses to mappings of the fields below it (`tables.*`).
    case namedSections
    /// A mapping from names the user chooses to text values.
    case textMap
}

/// Whether a `SIGHUP` / `POST /reload` applies a changed field to the running instance.
public enum ReloadBehaviour: String, Sendable {
    /// The new value takes effect for requests that start after the reload.
    case applied = "reload"
    /// The running value is kept and named in the reload's `kept_for_restart`.
    case restart
}

/// One field of `catalog-cache.yaml`: where it is, what it takes, its default, what it
/// means, and (for fields stored straight into `ProxyConfiguration`) how it is read, shown
/// and carried over a reload.
///
/// Invariant: `ConfigurationSchema.fields` holds one value per field the loader accepts;
/// the loader takes its allowed keys and ranges from there, so a field missing from the
/// schema is refused as unknown.
public struct ConfigurationField: Sendable {
    /// Reads `node` (the field's value, at `path` in error messages) into the configuration.
    typealias Reader = @Sendable (NodeReader, Node, String, inout ProxyConfiguration) throws(ConfigurationError) -> Void

    /// Dotted YAML path: `upstream.connect_timeout_ms`, `routes[].ttl`, `invalidation.tables.*.tags`.
    public let path: String
    public let type: ConfigurationValueType
    /// The default as the reference shows it ("unset", "required", a value).
    public let defaultText: String
    /// One line: what the field does (Markdown).
    public let doc: String
    public let reload: ReloadBehaviour
    /// Whether the file must have it (checked by the section reading it).
    public let isRequired: Bool
    /// Whether the value is a credential: the effective-configuration report shows only whether it is set.
    public let isSecret: Bool

    let read: Reader?
    /// The running value as the effective-configuration report shows it.
    let render: (@Sendable (ProxyConfiguration) -> String)?
    /// Copies this field from a loaded configuration into the effective one.
    let copy: (@Sendable (ProxyConfiguration, inout ProxyConfiguration) -> Void)?
    let differs: (@Sendable (ProxyConfiguration, ProxyConfiguration) -> Bool)?

    init(
        _ path: String, _ type: ConfigurationValueType, default defaultText: String, reload: ReloadBehaviour, required: Bool = false,
        secret: Bool = false, _ doc: String, read: Reader? = nil, render: (@Sendable (ProxyConfiguration) -> String)? = nil,
        copy: (@Sendable (ProxyConfiguration, inout ProxyConfiguration) -> Void)? = nil,
        differs: (@Sendable (ProxyConfiguration, ProxyConfiguration) -> Bool)? = nil
    ) {
        self.path = path
        self.type = type
        self.defaultText = defaultText
        self.doc = doc
        self.reload = reload
        self.isRequired = required
        self.isSecret = secret
        self.read = read
        self.render = render
        self.copy = copy
        self.differs = differs
    }

    /// The last component of `path` (the YAML key).
    public var key: String { String(path.split(separator: ".").last ?? "") }

    /// The path of the mapping holding this field (`""` for the top level).
    public var parent: String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }

    /// The range of an integer field.
    public var range: ClosedRange<Int> {
        guard case .integer(let range) = type else { preconditionFailure("\(path) is not an integer field") }
        return range
    }
}

/// Constructors for fields stored at a key path of `ProxyConfiguration`: the default comes
/// from `ProxyConfiguration()`, so it is written once, in the struct.
extension ConfigurationField {
    typealias Path<T> = WritableKeyPath<ProxyConfiguration, T> & Sendable

    /// A field whose value is carried over a reload (or compared) through `keyPath`, read by
    /// `read`, shown by `show` (plain text; the reference quotes the default as code).
    static func stored<T: Equatable & Sendable>(
        _ path: String, _ type: ConfigurationValueType, _ keyPath: Path<T>, reload: ReloadBehaviour, secret: Bool = false,
        default defaultText: String? = nil, _ doc: String, show: @escaping @Sendable (T) -> String, read: @escaping Reader
    ) -> ConfigurationField {
        ConfigurationField(
            path, type, default: defaultText ?? quoted(show(ProxyConfiguration()[keyPath: keyPath])), reload: reload, secret: secret, doc,
            read: read, render: { show($0[keyPath: keyPath]) },
            copy: { loaded, effective in effective[keyPath: keyPath] = loaded[keyPath: keyPath] },
            differs: { $0[keyPath: keyPath] != $1[keyPath: keyPath] }
        )
    }

    static func integer<T: FixedWidthInteger & Sendable>(
        _ path: String, _ keyPath: Path<T>, _ range: ClosedRange<Int>, reload: ReloadBehaviour = .restart, _ doc: String
    ) -> ConfigurationField {
        precondition(T(exactly: range.lowerBound) != nil && T(exactly: range.upperBound) != nil, "\(path): range does not fit \(T.self)")
        let value = Int(ProxyConfiguration()[keyPath: keyPath])
        let defaultText = "`\(value)`" + (bytesSuffix(value, path: path).map { " (\($0))" } ?? "")
        return stored(path, .integer(range), keyPath, reload: reload, default: defaultText, doc, show: { "\($0)" }) { r, node, field, c throws(ConfigurationError) in
            c[keyPath: keyPath] = T(try r.int(node, field, range))
        }
    }

    static func boolean(_ path: String, _ keyPath: Path<Bool>, reload: ReloadBehaviour = .restart, _ doc: String) -> ConfigurationField {
        stored(path, .boolean, keyPath, reload: reload, doc, show: { "\($0)" }) { r, node, field, c throws(ConfigurationError) in
            c[keyPath: keyPath] = try r.bool(node, field)
        }
    }

    /// Text that must be present when the key is; `check` returns what is wrong with a value, or nil.
    static func text(
        _ path: String, _ keyPath: Path<String>, type: ConfigurationValueType = .text, reload: ReloadBehaviour = .restart, _ doc: String,
        check: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> ConfigurationField {
        stored(path, type, keyPath, reload: reload, doc, show: { type == .url ? redactingPassword($0) : $0 }) { r, node, field, c throws(ConfigurationError) in
            let value = try r.string(node, field)
            if let problem = check(value) { throw r.fail(node, field, problem) }
            c[keyPath: keyPath] = value
        }
    }

    /// Text that may be unset (`null`, `~` or empty); unset is the default, shown as `unset`.
    static func optionalText(
        _ path: String, _ keyPath: Path<String?>, type: ConfigurationValueType = .text, reload: ReloadBehaviour = .restart, secret: Bool = false,
        unset: String = "unset", _ doc: String, check: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> ConfigurationField {
        stored(path, type, keyPath, reload: reload, secret: secret, default: unset, doc, show: { $0.map { type == .url ? redactingPassword($0) : $0 } ?? unset }) { r, node, field, c throws(ConfigurationError) in
            let value = try r.optionalString(node, field)
            if let value, let problem = check(value) { throw r.fail(node, field, problem) }
            c[keyPath: keyPath] = value
        }
    }

    static func address(_ path: String, _ keyPath: Path<ListenAddress>, _ doc: String) -> ConfigurationField {
        stored(path, .address, keyPath, reload: .restart, doc, show: { "\($0)" }) { r, node, field, c throws(ConfigurationError) in
            c[keyPath: keyPath] = try r.listen(node, field)
        }
    }

    /// A mapping of the fields whose `parent` is `path`; `validate` runs after they are read.
    static func section(
        _ path: String, _ doc: String,
        validate: @escaping @Sendable (NodeReader, Node, ProxyConfiguration) throws(ConfigurationError) -> Void = { _, _, _ in }
    ) -> ConfigurationField {
        ConfigurationField(path, .section, default: "", reload: .restart, doc) { r, node, field, c throws(ConfigurationError) in
            try r.readSection(node, field, into: &c)
            try validate(r, node, c)
        }
    }

    /// A field read by the reader of the section holding it (a route's, a table's, a target's),
    /// not stored on its own: it is in the schema for its key, type, range and doc.
    static func part(_ path: String, _ type: ConfigurationValueType, default defaultText: String = "", reload: ReloadBehaviour, required: Bool = false, secret: Bool = false, _ doc: String) -> ConfigurationField {
        ConfigurationField(path, type, default: defaultText.isEmpty ? absentText(type, required: required) : defaultText, reload: reload, required: required, secret: secret, doc)
    }

    /// What an absent optional value of `type` means in the reference.
    private static func absentText(_ type: ConfigurationValueType, required: Bool) -> String {
        if required { return "required" }
        switch type {
        case .section: return ""
        case .textList, .integerList, .list, .namedSections, .textMap: return "none"
        default: return "unset"
        }
    }

    /// `256 MiB` for a byte count that is a whole number of KiB, MiB or GiB.
    static func bytesSuffix(_ value: Int, path: String) -> String? {
        guard path.hasSuffix("_bytes"), value >= 1024, value % 1024 == 0 else { return nil }
        let (unit, divisor) = value % (1 << 30) == 0 ? ("GiB", 1 << 30) : value % (1 << 20) == 0 ? ("MiB", 1 << 20) : ("KiB", 1 << 10)
        return "\(value / divisor) \(unit)"
    }

    /// A shown value as the reference prints a default: code, except "unset"-like words.
    static func quoted(_ text: String) -> String {
        text.isEmpty || text.hasPrefix("unset") ? (text.isEmpty ? "empty" : text) : "`\(text)`"
    }

    /// `redis://user:secret@host` -> `redis://user:***@host`: URLs may carry passwords.
    static func redactingPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let authorityEnd = url[scheme.upperBound...].firstIndex(of: "/") ?? url.endIndex
        guard let at = url[scheme.upperBound..<authorityEnd].lastIndex(of: "@"),
              let colon = url[scheme.upperBound..<at].firstIndex(of: ":") else { return url }
        return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
    }
}
