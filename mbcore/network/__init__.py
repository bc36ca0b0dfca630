"""Architectures as plain data (Graph), the merge-mode registry, and what is read off a
Graph without TensorFlow: the summary rows and the diagram. builder.py turns a Graph
into a Keras model."""
