"""Extractors, one module per source system (SOURCES.md)."""
