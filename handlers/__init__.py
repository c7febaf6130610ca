"""Platform-neutral chat commands: Incoming in, Reply out."""
