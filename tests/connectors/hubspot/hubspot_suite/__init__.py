"""Tests of the HubSpot connector and its emulator.

They live in a package of their own, not in ``tests/connectors/hubspot`` itself: pytest
would import that folder as the package ``hubspot`` and hide hubspot-api-client.
"""
