list(APPEND TPP_SOURCES)
list(APPEND TPP_SOURCES
  src/sim/ground_truth.cpp
  src/sim/stimulus_count.cpp
  src/sim/complex_stimuli.cpp
  src/sim/ecommerce.cpp
)
