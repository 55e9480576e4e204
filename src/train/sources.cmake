list(APPEND TPP_SOURCES
  src/train/mle.cpp
)
