"""Adapters: settings, databases, append-only guards, hash chain, scheduler, seed data."""
