"""The private community (私域): subscribers, tags, segments and paced broadcasts."""
