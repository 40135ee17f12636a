"""Inventory: profile and classify every dataset's current state; write the reports."""
