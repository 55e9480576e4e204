list(APPEND TPP_SOURCES)
list(APPEND TPP_SOURCES
  src/infer/plot.cpp
)
