import Artifacts
import NN

extension Precision {
    /// The concrete precision `auto` stands for on this machine: bfloat16 where oneDNN has a
    /// bf16 kernel for the CPU (AMX or AVX-512 BF16), float32 elsewhere.
    public static var machineDefault: Precision { Precision.bfloat16.problem == nil ? .bfloat16 : .float32 }

    /// A training stage's `precision` param: float32, bfloat16, or auto (resolved per machine
    /// before the stage's key is computed, so the lock file records what ran).
    static func param(default value: String, help: String) -> ParamSpec {
        ParamSpec("precision", .choice(["auto"] + allCases.map(\.rawValue)), default: .string(value), help: help,
                  machineChoice: { $0 == .string("auto") ? .string(machineDefault.rawValue) : $0 })
    }

    /// The precision a stage param names, or a clear error when this machine cannot run it.
    static func checked(_ name: String, param: String) throws -> Precision {
        guard let precision = Precision(rawValue: name) else {
            throw PipelineError.badInput("\(param) must be one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let problem = precision.problem {
            throw PipelineError.badInput("\(param) is \(name), but \(problem). Set \(param) to float32 to train without it")
        }
        return precision
    }
}
