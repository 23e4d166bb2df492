import PipelineCLI
import Stages

PipelineCommand.main(registry: StandardStages.registry)
