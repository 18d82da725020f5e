"""What legal approves and can prove later: approval lock, archive of published versions, review."""
