"""Op family: unary (being filled in)."""
