/// Vectorised exp and helpers over SIMD16<Float>, for the softmax, GELU and losses.
/// exp is the Cephes single-precision algorithm (range reduction by ln 2 split in two parts, a
/// degree-5 polynomial): within 2 ulp of expf for inputs in [-87, 88]; below that it returns
/// about 1e-38 instead of 0, which no softmax can tell apart.
typealias Vec = SIMD16<Float>

@inline(__always) func vexp(_ x: Vec) -> Vec {
    let clamped = vmin(vmax(x, Vec(repeating: -87.3)), Vec(repeating: 88.3))
    // Round x / ln 2 to the nearest integer with the 1.5 * 2^23 trick: the integer lands in the
    // low mantissa bits, so both n (as float) and 2^n (as bits) come without conversions.
    let magic = Vec(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    var r = clamped - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p = Vec(repeating: 1.987_569_1e-4)
    p = p * r + 1.398_199_9e-3
    p = p * r + 8.333_452e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_5e-1
    p = p * r + 5e-1
    let y = p * r * r + r + 1
    let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return y * unsafeBitCast(exponent, to: Vec.self)
}

// The standard library's pointwiseMin/Max run element by element; a compare and select is one
// instruction per 4 lanes.
@inline(__always) func vmax(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .> a) }
@inline(__always) func vmin(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .< a) }

@inline(__always) func vload(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) func vstore(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// Largest element of x[0..<n].
@inline(__always) func maxElement(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = Vec(repeating: -Float.greatestFiniteMagnitude)
    var i = 0
    while i + 16 <= n { m = vmax(m, vload(x + i)); i += 16 }
    var result = m.max()
    while i < n { result = max(result, x[i]); i += 1 }
    return result
}

/// sum(exp(x[i] - shift)) for i in 0..<n, optionally writing each term to `out`.
@inline(__always) func sumExp(_ x: UnsafePointer<Float>, _ n: Int, shift: Float, scale: Float = 1,
                              writeTo out: UnsafeMutablePointer<Float>? = nil) -> Float {
    var acc = Vec(repeating: 0)
    let s = Vec(repeating: shift)
    var i = 0
    while i + 16 <= n {
        let e = vexp((vload(x + i) - s) * scale)
        if let out { vstore(e, out + i) }
        acc += e
        i += 16
    }
    var total = acc.sum()
    while i < n {
        let e = vexp(Vec(repeating: (x[i] - shift) * scale))[0]
        if let out { out[i] = e }
        total += e
        i += 1
    }
    return total
}
