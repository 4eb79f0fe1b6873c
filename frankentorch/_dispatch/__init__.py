"""Dispatch keys, key sets and operator dispatch."""
