"""Product reviews: ratings and texts after completion, merchant replies, hiding."""
