"""Exchange with other frameworks: ONNX export and import, gate orders."""
