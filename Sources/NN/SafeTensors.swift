import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// (name -> dtype, shape, data offsets; optional string metadata under `__metadata__`), then the
/// raw little-endian data. Writing is deterministic: names in byte order, compact header padded
/// with spaces to a multiple of 8.
public struct SafeTensors: Sendable {
    public enum DType: String, Sendable {
        case f32 = "F32"
        case i32 = "I32"
        case i64 = "I64"

        var size: Int { self == .i64 ? 8 : 4 }
    }

    public struct Tensor: Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Raw little-endian bytes.
        public let data: Data

        public var count: Int { shape.reduce(1, *) }

        public init(dtype: DType, shape: [Int], data: Data) {
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }

        public init(floats: [Float], shape: [Int]) {
            precondition(floats.count == shape.reduce(1, *))
            self.init(dtype: .f32, shape: shape, data: floats.withUnsafeBytes { Data($0) })
        }

        /// A view of `count` floats of `buffer` from `offset`, without a copy: it reads whatever the
        /// buffer holds when it is read, so write it out before the buffer changes. This is how
        /// checkpoints of hundreds of megabytes are saved without copying them first.
        public init(sharing buffer: FloatBuffer, offset: Int = 0, count: Int? = nil, shape: [Int]) {
            let count = count ?? buffer.count - offset
            precondition(offset >= 0 && offset + count <= buffer.count && count == shape.reduce(1, *))
            let data = Data(bytesNoCopy: buffer.pointer + offset, count: count * MemoryLayout<Float>.stride,
                            deallocator: .custom { _, _ in withExtendedLifetime(buffer) {} })
            self.init(dtype: .f32, shape: shape, data: data)
        }

        public init(ints: [Int32], shape: [Int]) {
            precondition(ints.count == shape.reduce(1, *))
            self.init(dtype: .i32, shape: shape, data: ints.withUnsafeBytes { Data($0) })
        }

        /// The values as Float (F32 only).
        public var floats: [Float] {
            precondition(dtype == .f32, "tensor is \(dtype.rawValue), not F32")
            return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }

        /// The values as Int32 (I32, or I64 within Int32's range).
        public var ints: [Int32] {
            switch dtype {
            case .i32: return data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
            case .i64: return data.withUnsafeBytes { $0.bindMemory(to: Int64.self).map { Int32(truncatingIfNeeded: $0) } }
            case .f32: preconditionFailure("tensor is F32, not an integer type")
            }
        }
    }

    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case malformed(String)
        public var description: String {
            switch self { case let .malformed(why): return why }
        }
    }

    public static func read(_ url: URL) throws -> SafeTensors {
        let file = try Data(contentsOf: url, options: .alwaysMapped)
        func bad(_ why: String) -> Failure { .malformed("\(url.lastPathComponent): \(why)") }
        guard file.count >= 8 else { throw bad("too short to be safetensors") }
        let headerLength = file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard headerLength <= UInt64(file.count - 8), headerLength < 100_000_000 else { throw bad("header length \(headerLength) is past the end of the file") }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: file.subdata(in: 8..<dataStart)) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        var result = SafeTensors()
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                result.metadata = meta
                continue
            }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor \(name) lacks dtype, shape or data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else { throw bad("tensor \(name) has unsupported dtype \(dtypeName)") }
            let begin = dataStart + offsets[0], end = dataStart + offsets[1]
            guard offsets[0] >= 0, begin <= end, end <= file.count, end - begin == shape.reduce(1, *) * dtype.size else {
                throw bad("tensor \(name): data_offsets \(offsets) do not fit shape \(shape) of \(dtypeName)")
            }
            result.tensors[name] = Tensor(dtype: dtype, shape: shape, data: file.subdata(in: begin..<end))
        }
        return result
    }

    public func write(_ url: URL) throws {
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var entries: [String] = []
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(quoted(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        if !metadata.isEmpty {
            let members = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { "\(quoted($0)):\(quoted(metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(members.joined(separator: ","))}", at: 0)
        }
        var header = Data("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var length = UInt64(header.count).littleEndian
        // Tensor by tensor into the file: a checkpoint's hundreds of megabytes are never copied into one buffer.
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        let file = try FileHandle(forWritingTo: url)
        do {
            try file.write(contentsOf: withUnsafeBytes(of: &length) { Data($0) } + header)
            for name in names { try file.write(contentsOf: tensors[name]!.data) }
        } catch {
            try? file.close()
            throw error
        }
        try file.close()
    }

    private func quoted(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
