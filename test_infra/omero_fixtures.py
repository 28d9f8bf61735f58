"""Placeholder: filled in by the work on test_infra."""
