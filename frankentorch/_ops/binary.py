"""Op family: binary (being filled in)."""
