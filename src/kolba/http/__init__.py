"""The HTTP layer: plain values, parsing and errors; knows nothing of the application."""
