list(APPEND TPP_SOURCES
  src/train/metrics.cpp
)
