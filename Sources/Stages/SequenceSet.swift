import Foundation

/// Fixed-length token sequences (a split's `train.bin` or `valid.bin`): row-major (count, width).
public struct SequenceSet: Sendable {
    public let ids: [UInt32]
    public let width: Int

    public init(ids: [UInt32], width: Int) {
        precondition(width > 0 && ids.count % width == 0)
        self.ids = ids
        self.width = width
    }

    public init(file: URL, width: Int) throws {
        self.init(ids: try TokenFile.read(file), width: width)
    }

    public var count: Int { ids.count / width }

    /// Inputs (B, width - 1) and next-token targets (B, width - 1) of the sequences at `rows`.
    public func batch(_ rows: ArraySlice<Int>) -> (inputs: [Int32], targets: [Int32]) {
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(rows.count * (width - 1))
        targets.reserveCapacity(rows.count * (width - 1))
        for row in rows {
            let base = row * width
            for j in 0..<(width - 1) {
                inputs.append(Int32(ids[base + j]))
                targets.append(Int32(ids[base + j + 1]))
            }
        }
        return (inputs, targets)
    }
}
