"""Op family: index_ops (being filled in)."""
