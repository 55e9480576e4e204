list(APPEND TPP_SOURCES
  src/train/mle.cpp
  src/train/metrics.cpp
  src/train/trainer.cpp
)
