"""Notifications: parents, social workers and LA systems told; the parent app API."""
