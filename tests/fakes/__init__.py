"""Local fake servers that follow vendors' documented contracts, for integration tests."""
