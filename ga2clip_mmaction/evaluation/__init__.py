"""Registered evaluation components."""
