/// GELU, tanh approximation (GPT-2's; torch.nn.GELU(approximate="tanh")), vectorised:
/// tanh(u) = 1 - 2 / (exp(2u) + 1).
public enum GELU {
    static let scale: Float = (2 / Float.pi).squareRoot()

    @inline(__always) static func tanh(_ u: Vec) -> Vec {
        1 - 2 / (vexp(2 * u) + 1)
    }

    public static func forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
        Parallel.forEach(count: count, minimumPerChunk: 4096) { _, range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let x = vload(inp + i)
                vstore(value(x), out + i)
                i += 16
            }
            while i < range.upperBound {
                var x = Vec(repeating: 0)
                x[0] = inp[i]
                out[i] = value(x)[0]
                i += 1
            }
        }
    }

    @inline(__always) static func derivative(_ x: Vec) -> Vec {
        let x2: Vec = x * x
        let t: Vec = tanh(scale * (x + 0.044715 * x2 * x))
        let sech2: Vec = 1 - t * t
        let du: Vec = scale * (1 + 0.134145 * x2)   // d/dx of scale * (x + 0.044715 x^3)
        return 0.5 * (1 + t) + 0.5 * x * sech2 * du
    }

    @inline(__always) static func value(_ x: Vec) -> Vec {
        let u: Vec = scale * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + tanh(u))
    }

    /// dinp += d gelu(inp) / d inp * dout
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        Parallel.forEach(count: count, minimumPerChunk: 4096) { _, range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                vstore(vload(dinp + i) + derivative(vload(inp + i)) * vload(dout + i), dinp + i)
                i += 16
            }
            while i < range.upperBound {
                var x = Vec(repeating: 0)
                x[0] = inp[i]
                dinp[i] += derivative(x)[0] * dout[i]
                i += 1
            }
        }
    }
}
