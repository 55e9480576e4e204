list(APPEND TPP_SOURCES
  src/train/flat_parameters.cpp
  src/train/mle.cpp
  src/train/parameter_estimates.cpp
  src/train/objective.cpp
  src/train/metrics.cpp
  src/train/data_parallel.cpp
  src/train/trainer.cpp
  src/train/fit.cpp
  src/train/iptw.cpp
)
