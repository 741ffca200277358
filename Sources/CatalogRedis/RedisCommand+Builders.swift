import NIOCore

/// Typed builders for the commands the cache uses. Keys, values and members are
/// binary-safe; `String` keys are sent as their UTF-8 bytes.
extension RedisCommand {
    static func make(_ name: String, _ build: (inout RedisCommand) -> Void) -> RedisCommand {
        var command = RedisCommand()
        command.append(name)
        build(&command)
        return command
    }

    public static func get(_ key: String) -> RedisCommand {
        make("GET") { $0.append(key) }
    }

    public static func get(_ key: ByteBuffer) -> RedisCommand {
        make("GET") { $0.append(key) }
    }

    /// `SET key value PX ms`.
    public static func set(_ key: String, value: ByteBuffer, pxMilliseconds: Int64) -> RedisCommand {
        make("SET") { $0.append(key); $0.append(value); $0.append("PX"); $0.append(pxMilliseconds) }
    }

    /// `SET key value` without expiry.
    public static func set(_ key: String, value: ByteBuffer) -> RedisCommand {
        make("SET") { $0.append(key); $0.append(value) }
    }

    /// `SET key value NX PX ms`: replies `OK`, or null when the key already exists.
    public static func setNX(_ key: String, value: ByteBuffer, pxMilliseconds: Int64) -> RedisCommand {
        make("SET") { $0.append(key); $0.append(value); $0.append("NX"); $0.append("PX"); $0.append(pxMilliseconds) }
    }

    public static func del(_ keys: [String]) -> RedisCommand {
        make("DEL") { for key in keys { $0.append(key) } }
    }

    /// `UNLINK`: like `DEL` but frees memory in the background on the server.
    public static func unlink(_ keys: [String]) -> RedisCommand {
        make("UNLINK") { for key in keys { $0.append(key) } }
    }

    public static func sadd(_ key: String, members: [String]) -> RedisCommand {
        make("SADD") { for member in [key] + members { $0.append(member) } }
    }

    public static func sadd(_ key: String, members: [ByteBuffer]) -> RedisCommand {
        make("SADD") { $0.append(key); for member in members { $0.append(member) } }
    }

    public static func smembers(_ key: String) -> RedisCommand {
        make("SMEMBERS") { $0.append(key) }
    }

    public static func expire(_ key: String, seconds: Int64) -> RedisCommand {
        make("EXPIRE") { $0.append(key); $0.append(seconds) }
    }

    public static func pexpire(_ key: String, milliseconds: Int64) -> RedisCommand {
        make("PEXPIRE") { $0.append(key); $0.append(milliseconds) }
    }

    public static func publish(_ channel: String, message: ByteBuffer) -> RedisCommand {
        make("PUBLISH") { $0.append(channel); $0.append(message) }
    }

    public static func publish(_ channel: String, message: String) -> RedisCommand {
        make("PUBLISH") { $0.append(channel); $0.append(message) }
    }

    public static var ping: RedisCommand { make("PING") { _ in } }

    public static var flushdb: RedisCommand { make("FLUSHDB") { _ in } }

    /// `EVAL script numkeys key... arg...`.
    public static func eval(_ script: String, keys: [String] = [], args: [ByteBuffer] = []) -> RedisCommand {
        make("EVAL") { command in
            command.append(script)
            command.append(Int64(keys.count))
            for key in keys { command.append(key) }
            for arg in args { command.append(arg) }
        }
    }

    /// `EVALSHA sha1 numkeys key... arg...`.
    public static func evalsha(_ sha1: String, keys: [String] = [], args: [ByteBuffer] = []) -> RedisCommand {
        make("EVALSHA") { command in
            command.append(sha1)
            command.append(Int64(keys.count))
            for key in keys { command.append(key) }
            for arg in args { command.append(arg) }
        }
    }

    /// `AUTH [username] password`, sent on connect.
    public static func auth(username: String?, password: String) -> RedisCommand {
        make("AUTH") { if let username { $0.append(username) }; $0.append(password) }
    }

    /// `SELECT db`, sent on connect.
    public static func select(_ database: Int) -> RedisCommand {
        make("SELECT") { $0.append(Int64(database)) }
    }
}
