list(APPEND TPP_SOURCES
  src/sim/thinning.cpp
  src/sim/simulate.cpp
)
