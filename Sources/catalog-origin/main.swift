import ArgumentParser
import Foundation

// Parse and run by hand so that every failure (bad flag, bad URL, database error) is one line
// on stderr and exit status 1, while --help still prints the full help and exits 0.
do {
    var command = try CatalogOriginCommand.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
} catch {
    if CatalogOriginCommand.exitCode(for: error) == .success {
        CatalogOriginCommand.exit(withError: error)
    }
    let message = CatalogOriginCommand.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "\(error)"
    FileHandle.standardError.write(Data("catalog-origin: \(message.replacingOccurrences(of: "Error: ", with: ""))\n".utf8))
    exit(1)
}

/// Opens the existential so the async `run()` (not the synchronous requirement) is called.
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}
