"""The command line: `python -m mbcore` (main.py), one module per group of commands."""
