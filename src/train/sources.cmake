list(APPEND TPP_SOURCES
  src/train/trainer.cpp
  src/train/merge_placeholders.cpp  # delete at merge (see the file)
)
