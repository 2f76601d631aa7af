import Foundation
import Support
import Testing

/// FileLock names the holder of a lock it cannot take. A holder writes its PID just after taking
/// the lock, so a refused caller can look in between and find the file empty: two runs started
/// together into one folder then told the loser "in use by another cgan-tui" without the PID
/// (RunFolderTests.twoRunsStartedTogetherIntoOneFolder failed about once in 10).
@Suite struct FileLockTests {
    @Test func aHolderThatHasNotWrittenItsPIDYetIsWaitedFor() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("filelock-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("lock")
        // The holder: the lock taken, its PID written 50 ms later.
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let writer = Thread {
            usleep(50_000)
            let text = Array("4242\n".utf8)
            _ = pwrite(fd, text, text.count, 0)
        }
        writer.start()
        do {
            _ = try FileLock(url)
            Issue.record("the lock was taken while held")
        } catch FileLock.Failure.held(let pid) {
            #expect(pid == 4242)
        }
    }
}
