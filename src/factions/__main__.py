"""``python -m factions``: the same command line as ``factions``."""

from factions.cli import main

if __name__ == "__main__":
    main()
