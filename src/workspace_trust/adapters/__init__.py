"""Adapters: the only modules that talk to processes, files and third-party libraries."""
