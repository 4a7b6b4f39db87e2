"""Alerts: turns register marks into statutory threshold alerts."""
