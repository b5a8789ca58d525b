"""Shared by the Skaha tests: the token the test double accepts."""

TOKEN = "sk-test-4f1c9e0b7a2d"
