"""crmsync: keep CRMs and referral/affiliate platforms in agreement."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("crmsync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
