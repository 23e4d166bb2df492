import Foundation

/// What `pipeline gc` removed (or would remove).
public struct GCReport: Sendable {
    public var objects: [(hash: String, bytes: Int64)] = []
    public var runRecords: [String] = []
    public var workDirectories: [(key: String, bytes: Int64)] = []
    public var temporaryBytes: Int64 = 0
    public var bytes: Int64 { objects.reduce(0) { $0 + $1.bytes } + workDirectories.reduce(0) { $0 + $1.bytes } + temporaryBytes }
}

extension Workspace {
    /// Deletes what no lock file or run record reaches: objects, run records whose output is gone,
    /// checkpoints of stages that have finished (all checkpoints with `checkpoints`), and scratch
    /// folders of killed runs. Run records are the run cache, so their objects stay.
    ///
    /// With `pruneCache`, run records that no lock file names are deleted too, so the outputs only
    /// the run cache kept go as well: the store shrinks to what the lock files use.
    public func collectGarbage(dryRun: Bool, checkpoints: Bool, pruneCache: Bool = false,
                               onWait: (String) -> Void = { _ in }) throws -> GCReport {
        let config = try loadConfig()
        let store = self.store(config)
        let held = try lockExclusively(onWait: onWait)
        defer { withExtendedLifetime(held) {} }

        var reachable = Set<String>()
        var lockedKeys = Set<String>()
        for url in allLockFiles() {
            let lock = try LockFile.load(url, profile: "")
            for entry in lock.entries.values {
                reachable.insert(entry.output)
                lockedKeys.insert(entry.invocation.key)
                for input in entry.invocation.inputs.values {
                    if case .stage = input.source { reachable.insert(input.sha256) }
                }
            }
        }
        var report = GCReport()
        var finishedKeys = Set<String>()
        for key in runs.allKeys() {
            if let record = runs.load(key), store.contains(record.output), !pruneCache || lockedKeys.contains(key) {
                reachable.insert(record.output)
                finishedKeys.insert(key)
            } else {
                report.runRecords.append(key)
            }
        }
        for hash in store.allHashes() where !reachable.contains(hash) {
            report.objects.append((hash, FileSystem.size(of: store.file(for: hash)!)))
        }
        for key in FileSystem.children(of: workRoot) where checkpoints || finishedKeys.contains(key) || !isSHA256Hex(key) {
            report.workDirectories.append((key, FileSystem.size(of: workRoot.appendingPathComponent(key))))
        }
        report.temporaryBytes = FileSystem.size(of: tmpRoot)

        guard !dryRun else { return report }
        for (hash, _) in report.objects { FileSystem.remove(store.file(for: hash)!) }
        for key in report.runRecords {
            FileSystem.remove(runs.recordURL(key))
            FileSystem.remove(runs.logURL(key))
        }
        for (key, _) in report.workDirectories { FileSystem.remove(workRoot.appendingPathComponent(key)) }
        FileSystem.remove(tmpRoot)
        // Temp files of atomic writes cut short by a kill.
        for name in FileSystem.children(of: root) where name.hasPrefix(".pipeline.") && name.hasSuffix(".tmp") {
            FileSystem.remove(root.appendingPathComponent(name))
        }
        // Logs of runs that never finished have no record to belong to.
        for name in FileSystem.children(of: runs.directory) where name.hasSuffix(".log") {
            if !finishedKeys.contains(String(name.dropLast(4))) && !FileSystem.exists(workRoot.appendingPathComponent(String(name.dropLast(4)))) {
                FileSystem.remove(runs.directory.appendingPathComponent(name))
            }
        }
        return report
    }

    /// Re-hashes every object. Returns how many were checked and the corrupt ones with the reason.
    public func verifyStore(progress: (Int, Int) -> Void = { _, _ in }) throws -> (checked: Int, corrupt: [(hash: String, reason: String)]) {
        let store = self.store(try loadConfig())
        let hashes = store.allHashes()
        var corrupt: [(String, String)] = []
        for (n, hash) in hashes.enumerated() {
            progress(n, hashes.count)
            do { try store.verify(hash) } catch let e as PipelineError { corrupt.append((hash, e.message)) }
        }
        return (hashes.count, corrupt)
    }
}
