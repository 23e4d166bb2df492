import Foundation

/// Sharing artifacts: one deterministic, compressed tar holding a lock file and the objects it
/// names, and its import, which trusts nothing in the file until it has checked it.
extension Workspace {
    static let archiveFormat = "rlhf-shakespeare-archive"

    /// Writes the lock of `pipeline`'s profile (limited to `stages`, default all) and their objects.
    /// The same store gives the same bytes every time.
    @discardableResult
    public func writeArchive(_ pipeline: ResolvedPipeline, stages names: [String], to output: URL) throws -> (stages: Int, objects: Int, bytes: Int64) {
        var lock = try loadLock(pipeline)
        guard !lock.entries.isEmpty else {
            throw PipelineError.badInput("\(pipeline.lockFileName) has no stages: run `pipeline run` before archiving")
        }
        if !names.isEmpty {
            let known = lock.entries.keys.sorted(by: utf8Less)
            for name in names where lock.entries[name] == nil {
                throw PipelineError.badInput("stage '\(name)' is not in \(pipeline.lockFileName)\(didYouMean(name, in: known)); locked stages: \(known.joined(separator: ", "))")
            }
            lock.entries = lock.entries.filter { names.contains($0.key) }
        }
        let store = self.store(pipeline.config)
        var objects: [String: URL] = [:]
        for (name, entry) in lock.entries {
            guard let file = store.file(for: entry.output) else {
                throw PipelineError.failed("the output of \(name) (\(entry.output.prefix(12))) is missing from the store: `pipeline run \(name)` first")
            }
            try store.verify(entry.output)
            objects[entry.output] = file
        }

        let manifest = JSON.object([("format", .string(Workspace.archiveFormat)), ("version", .int(1)), ("profile", .string(pipeline.profile))])
        var files: [(path: String, source: URL?, data: Data?)] = [
            ("archive.json", nil, Data(manifest.pretty.utf8)),
            ("pipeline.lock", nil, Data(lock.json.pretty.utf8)),
        ]
        for (hash, file) in objects {
            let ext = file.lastPathComponent.dropFirst(hash.count + 1)
            files.append(("objects/\(hash.prefix(2))/\(hash).\(ext)", file, nil))
        }
        files.sort { utf8Less($0.path, $1.path) }

        try FileSystem.makeDirectory(output.deletingLastPathComponent())
        let tmp = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).\(UUID().uuidString).tmp")
        defer { FileSystem.remove(tmp) }
        let writer = try TarWriter(path: tmp.path, compression: Compression.forArchive(named: output.lastPathComponent))
        for file in files {
            if let data = file.data {
                try writer.addFile(file.path, data: data)
            } else {
                try writer.addFile(file.path, contentsOf: file.source!, size: FileSystem.size(of: file.source!), executable: false)
            }
        }
        try writer.finish()
        try FileSystem.rename(tmp, to: output)
        return (lock.entries.count, objects.count, FileSystem.size(of: output))
    }

    public static let defaultMaxEntrySize: Int64 = 16 << 30

    /// Imports an archive: every entry must be a plain file at an expected path within the size
    /// limit, every object must hash to its name and hold only safe paths. Only then are objects
    /// added and the lock's stages entered into the run cache, so `pipeline run` reuses them.
    /// A rejected archive leaves the workspace untouched.
    public func importArchive(_ file: URL, maxEntrySize: Int64 = Workspace.defaultMaxEntrySize,
                              onWait: (String) -> Void = { _ in }) throws -> (objects: Int, stages: Int, profile: String) {
        let name = file.lastPathComponent
        guard FileSystem.exists(file) else { throw PipelineError.badInput("\(file.path) not found") }
        let config = try loadConfig()
        let store = self.store(config)
        // Everything is checked outside the workspace; it is touched only once all is well.
        let staging = try FileSystem.makeTemporaryDirectory(prefix: "pipeline-import")
        defer { FileSystem.remove(staging) }

        func reject(_ entry: String, _ why: String) -> PipelineError {
            .badInput("\(name): entry '\(entry)' rejected: \(why); nothing was imported")
        }
        var manifest: JSON?
        var lockData: Data?
        var objects: [(hash: String, compression: Compression, url: URL)] = []
        let reader: TarReader
        do { reader = try TarReader(path: file.path) } catch {
            throw PipelineError.badInput("\(name) is not a pipeline archive (cannot open it as a tar file)")
        }
        while true {
            let header: TarEntryHeader?
            do { header = try reader.next() } catch {
                throw PipelineError.badInput("\(name) is damaged or not a tar archive: \((error as? PipelineError)?.message ?? "\(error)"); nothing was imported")
            }
            guard let header else { break }
            if let reason = unsafePathReason(header.path) { throw reject(header.path, reason) }
            switch header.kind {
            case .file: break
            case .directory: continue
            case .symlink, .hardlink: throw reject(header.path, "links are not allowed")
            case .other: throw reject(header.path, "devices, FIFOs and other special files are not allowed")
            }
            guard header.size <= maxEntrySize else {
                throw reject(header.path, "its size (\(header.size) bytes) is over the limit of \(maxEntrySize) bytes (--max-entry-size)")
            }
            let parts = header.path.split(separator: "/").map(String.init)
            if header.path == "archive.json" || header.path == "pipeline.lock" {
                guard header.size <= 64 << 20 else { throw reject(header.path, "too large for a lock file") }
                var data = Data()
                do { try reader.readData { data.append(contentsOf: $0) } } catch {
                    throw reject(header.path, "its data is damaged")
                }
                if header.path == "archive.json" {
                    manifest = try? JSON.parse(data)
                } else {
                    lockData = data
                }
            } else if parts.count == 3, parts[0] == "objects",
                      let c = Compression.allCases.first(where: { parts[2].hasSuffix(".\($0.fileExtension)") }),
                      case let hash = String(parts[2].dropLast(c.fileExtension.count + 1)),
                      isSHA256Hex(hash), parts[1] == hash.prefix(2) {
                let url = staging.appendingPathComponent("\(hash).\(c.fileExtension)")
                do { try reader.extractData(to: url) } catch {
                    throw reject(header.path, "its data is damaged or cannot be written (\((error as? PipelineError)?.message ?? "\(error)"))")
                }
                objects.append((hash, c, url))
            } else {
                throw reject(header.path, "not a file a pipeline archive holds (archive.json, pipeline.lock, objects/xx/<sha256>.tar.zst or .tar.gz)")
            }
        }
        guard manifest?["format"]?.stringValue == Workspace.archiveFormat, let profile = manifest?["profile"]?.stringValue else {
            throw PipelineError.badInput("\(name) is not a pipeline archive: no valid archive.json")
        }

        for object in objects {
            let actual: String
            do { actual = try CanonicalTar.hash(ofPacked: object.url).hash } catch {
                throw reject("objects/\(object.hash.prefix(2))/\(object.hash).\(object.compression.fileExtension)", "it cannot be decompressed")
            }
            guard actual == object.hash else {
                throw reject("objects/\(object.hash.prefix(2))/\(object.hash).\(object.compression.fileExtension)", "its content hashes to \(actual), not its name")
            }
            let entry = "objects/\(object.hash.prefix(2))/\(object.hash).\(object.compression.fileExtension)"
            let reader: TarReader
            do { reader = try TarReader(path: object.url.path) } catch { throw reject(entry, "it is not a tar archive") }
            while true {
                let header: TarEntryHeader?
                do { header = try reader.next() } catch { throw reject(entry, "it is not a valid tar archive") }
                guard let h = header else { break }
                if let reason = unsafePathReason(h.path) {
                    throw reject(entry, "it contains '\(h.path)': \(reason)")
                }
                guard h.kind == .file || h.kind == .directory else {
                    throw reject(entry, "it contains '\(h.path)', which is not a plain file or directory")
                }
            }
        }
        guard let lockData else { throw PipelineError.badInput("\(name) holds no pipeline.lock") }
        let lockURL = staging.appendingPathComponent("pipeline.lock")
        try lockData.write(to: lockURL)
        let lock = try LockFile.load(lockURL, profile: profile)
        guard !lock.entries.isEmpty else { throw PipelineError.badInput("\(name): its pipeline.lock names no stages; nothing was imported") }
        let present = Set(objects.map(\.hash))
        for (stage, entry) in lock.entries where !present.contains(entry.output) && !store.contains(entry.output) {
            throw PipelineError.badInput("\(name): the lock names an output of '\(stage)' (\(entry.output.prefix(12))) that the archive does not hold; nothing was imported")
        }

        let held = try lockExclusively(onWait: onWait)
        defer { withExtendedLifetime(held) {} }
        var added = 0
        for object in objects where !store.contains(object.hash) {
            // Copy next to the store first: the staging folder may be on another file system.
            try FileSystem.makeDirectory(store.tmpDirectory)
            let local = store.tmpDirectory.appendingPathComponent("import-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: object.url, to: local)
            try store.install(local, as: object.hash, compression: object.compression)
            added += 1
        }
        for (_, entry) in lock.entries.sorted(by: { utf8Less($0.key, $1.key) }) where runs.load(entry.invocation.key) == nil {
            try runs.save(entry.invocation, output: entry.output, summary: entry.summary,
                          extra: [("imported_from", .string(name))])
        }
        return (added, lock.entries.count, profile)
    }
}
