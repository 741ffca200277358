import CHiredis
import NIOCore

/// One Redis command: its argv, binary-safe.
///
/// Invariant: the arguments are stored back to back in one byte array (`storage`) with
/// their lengths in `lengths`, so building a command costs two allocations whatever the
/// argument count, and encoding can hand hiredis pointers into that one array.
public struct RedisCommand: Sendable, Hashable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline var lengths: [Int]

    /// An empty argv; add arguments with `append`.
    public init() {
        storage = []
        lengths = []
    }

    /// A command from textual arguments, e.g. `RedisCommand("CLIENT", "KILL", "TYPE", "normal")`.
    public init(_ arguments: String...) {
        self.init(arguments: arguments)
    }

    /// A command from textual arguments.
    public init(arguments: [String]) {
        self.init()
        lengths.reserveCapacity(arguments.count)
        for argument in arguments { append(argument) }
    }

    /// A command from binary arguments.
    public init(arguments: [[UInt8]]) {
        self.init()
        lengths.reserveCapacity(arguments.count)
        for argument in arguments { append(argument) }
    }

    public mutating func append(_ argument: String) {
        var argument = argument
        argument.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    public mutating func append(_ argument: ByteBuffer) {
        argument.withUnsafeReadableBytes { append($0) }
    }

    public mutating func append(_ argument: UnsafeRawBufferPointer) {
        storage.append(contentsOf: argument)
        lengths.append(argument.count)
    }

    public mutating func append(_ argument: some Collection<UInt8>) {
        let before = storage.count
        storage.append(contentsOf: argument)
        lengths.append(storage.count - before)
    }

    /// The decimal form Redis expects for integers.
    public mutating func append(_ argument: Int64) {
        append(String(argument))
    }

    /// Number of arguments, the command name included.
    public var count: Int { lengths.count }

    /// The arguments as separate byte arrays (for inspection and tests; allocates).
    public var arguments: [[UInt8]] {
        var result: [[UInt8]] = []
        result.reserveCapacity(lengths.count)
        var offset = 0
        for length in lengths {
            result.append(Array(storage[offset..<offset + length]))
            offset += length
        }
        return result
    }

    /// Appends the RESP encoding (`*N\r\n$len\r\n...`) to `buffer` via hiredis's
    /// `redisFormatCommandArgv`, freeing hiredis's buffer with `redisFreeCommand`.
    func encode(into buffer: inout ByteBuffer) throws(RedisError) {
        let argc = lengths.count
        let written: Int = storage.withUnsafeBufferPointer { bytes in
            lengths.withUnsafeBufferPointer { lengths in
                withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(argc, 1)) { argv in
                    // An all-empty argv may have no base address; hiredis copies 0 bytes from it.
                    let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(lengths.baseAddress!)
                    var offset = 0
                    for index in 0..<argc {
                        argv[index] = (base + offset).assumingMemoryBound(to: CChar.self)
                        offset += lengths[index]
                    }
                    var target: UnsafeMutablePointer<CChar>?
                    let length = Int(redisFormatCommandArgv(&target, Int32(argc), argv.baseAddress, lengths.baseAddress))
                    guard length >= 0, let target else { return -1 }
                    defer { redisFreeCommand(target) }
                    buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: length))
                    return length
                }
            }
        }
        if written < 0 { throw .encodingFailed }
    }
}
