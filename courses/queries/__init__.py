"""What reads: the database turned into plain data (engine dataclasses and frozen rows holding
ids). Nothing here writes; nothing here imports :mod:`courses.actions` or :mod:`courses.ml`."""
