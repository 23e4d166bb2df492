#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// GELU, tanh approximation (GPT-2's; torch.nn.GELU(approximate="tanh")).
public enum GELU {
    static let scale: Float = (2 / Float.pi).squareRoot()

    public static func forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            out[i] = 0.5 * x * (1 + tanhf(scale * (x + 0.044715 * x * x * x)))
        }
    }

    /// dinp += d gelu(inp) / d inp * dout
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = inp[i]
            let u = scale * (x + 0.044715 * x * x * x)
            let t = tanhf(u)
            let sech2 = 1 - t * t
            let grad = 0.5 * (1 + t) + 0.5 * x * sech2 * scale * (1 + 3 * 0.044715 * x * x)
            dinp[i] += grad * dout[i]
        }
    }
}
