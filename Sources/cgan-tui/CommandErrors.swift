import ArgumentParser
import Foundation
import Support

/// The CLI's one error path: a `UserError` becomes `cgan-tui: <one line>` on stderr and exit
/// status 2 (bad input), never a stack trace or the usage text.
func reportingUserErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as UserError {
        printError(error.message)
        throw ExitCode(2)
    }
}

func printError(_ message: String) {
    Console.write("cgan-tui: \(message)\n", to: STDERR_FILENO)
}

func printWarning(_ message: String) {
    Console.write("cgan-tui: warning: \(message)\n", to: STDERR_FILENO)
}

/// Checks a number given on the command line; the message names the option.
func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
    if !ok { throw UserError(message()) }
}

/// A path as a user would type it in a shell (quoted when it holds spaces or quotes).
func shellQuoted(_ path: String) -> String {
    let plain = path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }
    return plain ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A line on stdout, unbuffered, so it interleaves correctly with the progress output; on
/// stderr when stdout's reader is gone (what to do next must still reach the user).
func say(_ text: String) {
    if !Console.write(text + "\n", to: STDOUT_FILENO) { Console.write(text + "\n", to: STDERR_FILENO) }
}
