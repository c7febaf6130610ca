"""Loyalty: member points and member levels."""
