"""`python -m tracehub` is the `tracehub` command."""

from tracehub.cli import main

main()
