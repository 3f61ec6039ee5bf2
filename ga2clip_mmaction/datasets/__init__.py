"""Registered datasets components."""
