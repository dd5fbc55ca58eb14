"""Entry point of the frozen app: the same `batteryos` command as the pip install."""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
