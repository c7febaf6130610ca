"""Broadcast delivery, platform side: senders per platform, the one-sender-per-bot lock,
the worker loop and the job queue that wakes it (taskiq: in-process, or Redis workers)."""
