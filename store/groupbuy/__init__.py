"""Group buying (拼团): campaigns, groups with seats, and the sweep that settles their deadlines."""
