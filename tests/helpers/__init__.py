"""Helpers shared by the tests (importable as ``tests.helpers``: pytest.ini puts the repository root on the path)."""
