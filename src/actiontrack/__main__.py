"""``python -m actiontrack`` runs the command line."""

from actiontrack.cli import main

main()
