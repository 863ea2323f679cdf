"""``python -m crmsync``: the same command line as the ``crmsync`` console script."""

from crmsync.cli import main

if __name__ == "__main__":
    main()
