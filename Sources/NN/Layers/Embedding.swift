#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Token embedding plus position (learned `wpe` or the fixed sinusoidal table).
public enum Embedding {
    /// out (B, T, C) = wte[tokens] + positions[t]; `positions` is (T, C) or larger.
    public static func forward(_ out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                               wte: UnsafePointer<Float>, positions: UnsafePointer<Float>, b: Int, t: Int, c: Int) {
        for bi in 0..<b {
            for ti in 0..<t {
                let y = out + (bi * t + ti) * c
                let e = wte + Int(tokens[bi * t + ti]) * c, p = positions + ti * c
                for i in 0..<c { y[i] = e[i] + p[i] }
            }
        }
    }

    /// Accumulates dwte and, for learned positions, dwpe from dout (B, T, C).
    public static func backward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, b: Int, t: Int, c: Int) {
        for bi in 0..<b {
            for ti in 0..<t {
                let d = dout + (bi * t + ti) * c
                let e = dwte + Int(tokens[bi * t + ti]) * c
                for i in 0..<c { e[i] += d[i] }
                if let dwpe {
                    let p = dwpe + ti * c
                    for i in 0..<c { p[i] += d[i] }
                }
            }
        }
    }

    /// The fixed table of "Attention Is All You Need": PE[pos, 2i] = sin(pos / 10000^(2i/C)),
    /// PE[pos, 2i+1] = cos(pos / 10000^(2i/C)).
    public static func sinusoidal(length: Int, c: Int) -> FloatBuffer {
        let table = FloatBuffer(count: length * c)
        for pos in 0..<length {
            for i in stride(from: 0, to: c, by: 2) {
                let angle = Double(pos) / pow(10000, Double(i) / Double(c))
                table[pos * c + i] = Float(sin(angle))
                if i + 1 < c { table[pos * c + i + 1] = Float(cos(angle)) }
            }
        }
        return table
    }
}
