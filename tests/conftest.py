"""Fixtures come from test_infra, so that tests, benchmarks and the demo share them."""

pytest_plugins = [
    "test_infra.omero_fixtures",
    "test_infra.gcs_fixtures",
    "test_infra.batch_fixtures",
]
