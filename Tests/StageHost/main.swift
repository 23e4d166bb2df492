// `pipeline` with the test stages instead of the real ones: the CLI tests, the crash and
// concurrency tests and the no-op benchmark run this binary as a user would run `pipeline`.
import PipelineCLI
import TestStages

PipelineCommand.main(registry: TestStages.registry())
