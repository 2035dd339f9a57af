"""The recognition worker role: leased cameras → pose → tracking → actions → events, annotated frames."""
