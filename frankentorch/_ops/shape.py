"""Op family: shape (being filled in)."""
