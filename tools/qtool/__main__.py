"""Allow ``python -m qtool``."""

from qtool.cli import run

if __name__ == "__main__":
    run()
