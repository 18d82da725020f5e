"""Helpers shared by the tests (imported as `support`, never test modules importing each other)."""
