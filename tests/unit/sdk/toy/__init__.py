"""A toy contacts API and its connector: the smallest complete crmsync connector.

``emulator.py`` fakes the vendor; ``connector.py`` is the client side, written the way
docs/writing-a-connector.md asks real connectors to be written.
"""
