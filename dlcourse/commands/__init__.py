"""Sub-commands of the ``dlcourse`` command line, one module each."""
