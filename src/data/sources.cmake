list(APPEND TPP_SOURCES
  src/data/batch.cpp
  src/data/dataset.cpp
  src/data/text_features.cpp
)
