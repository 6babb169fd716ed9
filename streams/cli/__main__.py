"""``python -m streams.cli``: the ``wirestream`` command (tests and the replay's worker processes run it)."""

from streams.cli import main

if __name__ == "__main__":
    main()
