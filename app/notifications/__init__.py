"""Notifications: a transactional outbox, a worker that delivers it, and the resident's inbox."""
