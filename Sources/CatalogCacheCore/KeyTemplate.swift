/// A cache-key template such as `hero_banners:active`, `products:{hash}` or
/// `product:{id}:{hash}`: literal text with `{name}` placeholders.
///
/// A placeholder is either a path parameter of the route's pattern or the special `{hash}`
/// (the request digest computed by `CacheKeyBuilder`). Which names are allowed depends on the
/// rule, so `RouteRule.init` checks them; this type only checks syntax:
/// - braces are balanced and not nested; each placeholder name matches
///   `[A-Za-z_][A-Za-z0-9_]*`;
/// - two placeholders are never adjacent (`{a}{b}` could not be split back apart, so two
///   different requests could expand to the same key);
/// - the template is not empty.
///
/// The same syntax is used for a rule's tag templates (`product:{id}`).
public struct KeyTemplate: Sendable, Equatable, CustomStringConvertible {
    /// One part of a template.
    public enum Part: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    /// The name of the digest placeholder.
    public static let hashPlaceholder = "hash"

    /// The template as written.
    public let source: String
    /// Literal text and placeholders, in order; adjacent literals are merged.
    public let parts: [Part]

    public init(_ template: String) throws(RouteError) {
        guard !template.isEmpty else { throw RouteError("key template is empty") }
        var parts: [Part] = []
        var literal: [UInt8] = []
        var bytes = template.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "{"):
                var name: [UInt8] = []
                var closed = false
                while let inner = bytes.next() {
                    if inner == UInt8(ascii: "}") { closed = true; break }
                    name.append(inner)
                }
                guard closed else { throw RouteError("template \"\(template)\" has an unclosed \"{\"") }
                guard Identifier.isValid(name) else {
                    throw RouteError("template \"\(template)\": invalid placeholder name \"\(String(decoding: name, as: UTF8.self))\"")
                }
                if literal.isEmpty, case .placeholder = parts.last {
                    throw RouteError("template \"\(template)\" has two adjacent placeholders")
                }
                if !literal.isEmpty {
                    parts.append(.literal(String(decoding: literal, as: UTF8.self)))
                    literal.removeAll()
                }
                parts.append(.placeholder(String(decoding: name, as: UTF8.self)))
            case UInt8(ascii: "}"):
                throw RouteError("template \"\(template)\" has an unmatched \"}\"")
            default:
                literal.append(byte)
            }
        }
        if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))) }
        self.source = template
        self.parts = parts
    }

    /// Placeholder names in order of appearance (a name may repeat).
    public var placeholderNames: [String] {
        parts.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// Whether the template uses `{hash}`.
    public var usesHash: Bool { placeholderNames.contains(KeyTemplate.hashPlaceholder) }

    /// Whether the template has no placeholders at all.
    public var isFixed: Bool { placeholderNames.isEmpty }

    public var description: String { source }

    /// The template with each placeholder replaced by `value(name)`; a nil value leaves the
    /// placeholder as written (rules validate names up front, so that does not happen for them).
    public func expand(_ value: (String) -> String?) -> String {
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text):
                result += text
            case .placeholder(let name):
                result += value(name) ?? "{\(name)}"
            }
        }
        return result
    }
}
