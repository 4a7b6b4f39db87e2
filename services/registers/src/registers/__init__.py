"""Registers: schools, pupils and statutory register marks pushed by school MIS systems."""
