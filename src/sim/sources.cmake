list(APPEND TPP_SOURCES
  src/sim/thinning.cpp
  src/sim/simulate.cpp
  src/sim/ground_truth.cpp
  src/sim/generator_registry.cpp
  src/sim/stimulus_count.cpp
  src/sim/complex_stimuli.cpp
  src/sim/ecommerce.cpp
  src/sim/generated_files.cpp
)
