"""Kolba: Flask's API on a fast sans-IO core."""
