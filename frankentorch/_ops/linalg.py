"""Op family: linalg (being filled in)."""
