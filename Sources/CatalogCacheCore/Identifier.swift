/// The identifier grammar shared by placeholder names and SQL table names:
/// `[A-Za-z_][A-Za-z0-9_]*`.
enum Identifier {
    static func isValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let first = bytes.first, isHead(first) else { return false }
        return bytes.dropFirst().allSatisfy { isHead($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    static func isValid(_ string: String) -> Bool { isValid(string.utf8) }

    private static func isHead(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}
