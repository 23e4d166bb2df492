import Foundation

/// Facts about the machine a run happened on. They go to run records and logs, never into an artifact.
public enum HostFacts {
    public static var json: JSON {
        .object([
            ("cpu", .string(cpuModel)),
            ("cores", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
            ("os", .string(ProcessInfo.processInfo.operatingSystemVersionString)),
            ("hostname", .string(ProcessInfo.processInfo.hostName)),
        ])
    }

    public static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }
}
