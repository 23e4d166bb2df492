import Foundation

/// Thread-safe output: results to stdout, diagnostics and progress to stderr.
enum Console {
    private static let lock = NSLock()

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    static func out(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func error(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    nonisolated(unsafe) private static var lastPlainProgress = Date.distantPast

    /// A status line: rewritten in place on a terminal; elsewhere (logs, CI) a plain line at most
    /// every 30 seconds.
    static func progress(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        if stderrIsTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        } else if Date().timeIntervalSince(lastPlainProgress) >= 30 {
            lastPlainProgress = Date()
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    static func clearProgress() {
        guard stderrIsTerminal else { return }
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Left-aligns `text` in a column of `width`.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
}

/// "1 object", "3 objects".
func plural(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
