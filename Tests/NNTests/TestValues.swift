/// Deterministic test inputs in [-1, 1) from a linear congruential generator.
func lcgValues(_ count: Int, seed: UInt32) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return Float(state >> 8) / Float(1 << 23) - 1
    }
}
