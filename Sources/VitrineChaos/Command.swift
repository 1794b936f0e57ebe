import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Short commands the test harness runs to completion (`ip`, `pg_ctl`, `psql`).
public enum Command {
    /// Runs a command to completion, its output to a file (posix_spawn and waitpid: Foundation's
    /// `Process` was seen never to notice `runuser` exit, leaving it a zombie and the caller waiting).
    @discardableResult
    public static func run(_ command: [String], timeout: TimeInterval = 120) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("vitrine-pgcmd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var attributes = Self.cleanAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, &argv, environ)
        guard spawned == 0 else { throw ChaosError("cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                Glibc.kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw ChaosError("\(command.joined(separator: " ")) did not finish within \(Int(timeout)) s")
            }
            usleep(10_000)
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw ChaosError("\(command.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }
}

extension Command {
    /// Starts a command in the background, detached from this process's output, and does not wait.
    public static func spawn(_ command: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var attributes = Self.cleanAttributes()
        defer { posix_spawnattr_destroy(&attributes) }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, command[0], &actions, &attributes, &argv, environ)
        guard spawned == 0 else { throw ChaosError("cannot start \(command[0]): \(String(cString: strerror(spawned)))") }
    }
}

extension Command {
    /// Spawn attributes that give the child an empty signal mask and default handlers: a
    /// child spawned from a thread that blocks signals (Dispatch's workers block most)
    /// would otherwise inherit the mask — Python's process pool then waits forever.
    static func cleanAttributes() -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attributes
    }
}
