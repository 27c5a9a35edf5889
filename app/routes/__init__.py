"""The thin HTTP layer: each module parses requests, calls the core and shapes responses."""
