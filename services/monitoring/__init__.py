"""Credential tests and API health: diagnoses, checks, test runs, the call-log metrics, alerts and sweeps."""
