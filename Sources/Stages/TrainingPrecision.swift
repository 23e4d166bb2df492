import Artifacts
import NN

extension Precision {
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
