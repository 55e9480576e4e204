list(APPEND TPP_CLI_SOURCES
  src/cli/command.cpp
  src/cli/convert.cpp
  src/cli/inspect.cpp
  src/cli/evaluate.cpp
  src/cli/predict.cpp
  src/cli/simulate.cpp
  src/cli/train.cpp
  src/cli/generate.cpp
  src/cli/serve.cpp
  src/cli/launch.cpp
  src/cli/policy.cpp
)
